#!/usr/bin/env python3
"""Write an mbox of N distinct DKIM-signed messages (rsa-sha256, relaxed/relaxed,
the 2048-bit test key of testdata/mail/generated) for the verify benchmark.

dkimpy canonicalises and hashes; the RSA operation itself goes to the
`cryptography` package, because dkimpy's pure-Python RSA takes ~40 ms a
signature and 20,000 of them would dominate the benchmark's run time.

usage: make_mbox.py KEY.pem OUT.mbox N
"""
import random
import sys

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils

key_path, out_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pem = open(key_path, "rb").read()
fast = serialization.load_pem_private_key(pem, password=None)


def fast_sign(h, _pk):
    return fast.sign(h.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


dkim.RSASSA_PKCS1_v1_5_sign = fast_sign

rng = random.Random(42)
WORDS = ("budget minister campaign transfer meeting draft report account contract embassy "
         "shipment invoice schedule confidential agreement payment server archive").split()

with open(out_path, "wb") as out:
    for i in range(n):
        paras = []
        for _ in range(rng.randint(3, 12)):
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14)))
            paras.append(line.capitalize() + ".")
        body = ("\r\n\r\n".join(paras) + "\r\n").encode()
        head = (
            f"Received: from host{i % 97}.example.net (host{i % 97}.example.net [198.51.100.{i % 250}])\r\n"
            f"\tby mx.leaktrace.test with ESMTPS id b{i}; Tue, 14 Nov 2023 22:{i // 60 % 60:02d}:{i % 60:02d} +0000\r\n"
            f"From: Sender {i % 50} <sender{i % 50}@leaktrace.test>\r\n"
            f"To: Recipient <rcpt{i % 13}@example.org>\r\n"
            f"Subject: Report {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}\r\n"
            f"Date: Tue, 14 Nov 2023 22:{i // 60 % 60:02d}:{i % 60:02d} +0000\r\n"
            f"Message-ID: <{i}.bench@leaktrace.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        ).encode()
        msg = head + b"\r\n" + body
        sig = dkim.sign(msg, b"rsa2048", b"leaktrace.test", pem, canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                                         b"content-type"])
        msg = (sig + msg).replace(b"\r\n", b"\n")
        out.write(f"From sender{i % 50}@leaktrace.test Tue Nov 14 22:13:20 2023\n".encode() + msg + b"\n")
