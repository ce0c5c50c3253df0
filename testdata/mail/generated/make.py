#!/usr/bin/env python3
"""Make the signed test messages in this folder with dkimpy.

The keys (keys/*.pem, keys/*.ed25519) are made once with openssl and PyNaCl
and committed; running this again re-signs the messages with them. Time is
frozen (t= 1700000000, 2023-11-14) so the output does not depend on the day.

    python3 -m venv /tmp/dkimvenv && /tmp/dkimvenv/bin/pip install dkimpy pynacl authres
    /tmp/dkimvenv/bin/python testdata/mail/generated/make.py

Writes: *.eml, mboxo.mbox, mboxrd.mbox, mboxcl2.mbox, keys.txt (the key
archive leaktrace reads) and expected.json (what each message must give).
"""

import base64
import io
import json
import os
import subprocess
import time
import zipfile

import dkim
import nacl.encoding
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")
DOMAIN = b"leaktrace.test"
NOW = 1700000000
DATE = "Tue, 14 Nov 2023 22:13:20 +0000"  # = NOW
time.time = lambda: NOW  # dkimpy stamps t= with time.time()


def rsa_key(name, bits):
    path = os.path.join(KEYS, name + ".pem")
    if not os.path.exists(path):
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, str(bits)], check=True,
                       stderr=subprocess.DEVNULL)
    pem = open(path, "rb").read()
    pub = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return pem, base64.b64encode(pub).decode()


def ed_key(name):
    path = os.path.join(KEYS, name + ".ed25519")
    if not os.path.exists(path):
        seed = nacl.signing.SigningKey.generate().encode(encoder=nacl.encoding.Base64Encoder)
        open(path, "wb").write(seed + b"\n")
    seed = open(path, "rb").read().strip()
    pub = nacl.signing.SigningKey(seed, encoder=nacl.encoding.Base64Encoder).verify_key
    return seed, pub.encode(encoder=nacl.encoding.Base64Encoder).decode()


os.makedirs(KEYS, exist_ok=True)
RSA, RSA_PUB = rsa_key("rsa2048", 2048)
WEAK, WEAK_PUB = rsa_key("rsa512", 512)
ED, ED_PUB = ed_key("ed")

with open(os.path.join(HERE, "keys.txt"), "w") as f:
    f.write("; Test keys for the generated fixtures (private halves in keys/). Not real keys.\n")
    f.write(f"rsa2048._domainkey.leaktrace.test v=DKIM1; k=rsa; p={RSA_PUB}\n")
    f.write(f"weak._domainkey.leaktrace.test v=DKIM1; k=rsa; p={WEAK_PUB}\n")
    f.write(f"ed._domainkey.leaktrace.test v=DKIM1; k=ed25519; p={ED_PUB}\n")
    f.write("revoked._domainkey.leaktrace.test v=DKIM1; k=rsa; p=\n")

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]


def message(n, body, subject=None, extra=b""):
    subject = subject or f"Test message {n}"
    head = (
        b"Received: from laptop.leaktrace.test (laptop.leaktrace.test [192.0.2.10])\r\n"
        b"\tby mx.leaktrace.test with ESMTPS id " + str(n).encode() + b";\r\n\t" + DATE.encode() + b"\r\n"
        b"From: Ann Example <ann@leaktrace.test>\r\n"
        b"To: Bob Example <bob@example.org>\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Date: " + DATE.encode() + b"\r\n"
        b"Message-ID: <" + str(n).encode() + b".fixture@leaktrace.test>\r\n"
        b"X-Mailer: make.py\r\n" + extra
    )
    return head + b"\r\n" + body


BODY = (
    b"Dear Bob,  \r\n"
    b"\r\n"
    b"the figures  are\tattached.\r\n"
    b"From here on, lines start with From and >From to test mbox quoting:\r\n"
    b">From a quoted line\r\n"
    b"\r\n"
    b"\r\n"
)


def sign(msg, selector=b"rsa2048", key=None, canon=(b"relaxed", b"relaxed"), alg=b"rsa-sha256", length=False):
    key = key or RSA
    sig = dkim.sign(msg, selector, DOMAIN, key, canonicalize=canon, signature_algorithm=alg,
                    include_headers=SIGNED, length=length)
    return sig + msg


def sign_times(msg, t, x, canon=(b"relaxed", b"relaxed")):
    """dkim.sign with chosen t= and x= (dkimpy has no parameter for x=)."""
    d = dkim.DKIM(msg, signature_algorithm=b"rsa-sha256")
    pk = dkim.crypto.parse_pem_private_key(RSA)
    policy = dkim.CanonicalizationPolicy.from_c_value(b"/".join(canon))
    body = policy.canonicalize_body(d.body)
    d.hasher = dkim.HASH_ALGORITHMS[b"rsa-sha256"]
    h = d.hasher()
    h.update(body)
    fields = [
        (b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", policy.to_c_value()), (b"d", DOMAIN),
        (b"s", b"rsa2048"), (b"t", str(t).encode()), (b"x", str(x).encode()),
        (b"h", b" : ".join(SIGNED)), (b"bh", base64.b64encode(h.digest())), (b"b", b"0" * 60),
    ]
    d.include_headers = tuple(SIGNED)
    return b"DKIM-Signature: " + d.gen_header(fields, tuple(SIGNED), policy, b"DKIM-Signature", pk) + msg


def docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("docProps/core.xml",
                   '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                   'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">'
                   '<dc:creator>Ivan Petrov</dc:creator><cp:lastModifiedBy>admin</cp:lastModifiedBy>'
                   '<dcterms:created>2023-11-13T08:00:00Z</dcterms:created><dcterms:modified>2023-11-14T07:55:00Z</dcterms:modified>'
                   '</cp:coreProperties>')
        z.writestr("docProps/app.xml",
                   '<?xml version="1.0"?><Properties><Application>Microsoft Office Word</Application>'
                   '<Company>Example Ministry</Company><Template>Normal.dotm</Template></Properties>')
        z.writestr("word/styles.xml",
                   '<?xml version="1.0"?><w:styles xmlns:w="w"><w:docDefaults><w:rPrDefault><w:rPr>'
                   '<w:lang w:val="ru-RU" w:eastAsia="en-US"/></w:rPr></w:rPrDefault></w:docDefaults></w:styles>')
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj\n<< /Title (Budget 2024) /Author (Anna K.) /Producer (LibreOffice 7.5) "
       b"/CreationDate (D:20231113100000+03'00') >>\nendobj\ntrailer\n<< /Info 1 0 R >>\n%%EOF\n")


def b64lines(data):
    s = base64.b64encode(data)
    return b"\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + b"\r\n"


def with_attachments(n):
    mixed = b"BOUNDARY-leaktrace"
    body = (
        b"--" + mixed + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached files.\r\n"
        b"--" + mixed + b"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=\"plan.docx\"\r\n"
        b"Content-Disposition: attachment; filename=\"plan.docx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(docx()) +
        b"--" + mixed + b"\r\nContent-Type: application/pdf; name=\"budget.pdf\"\r\n"
        b"Content-Disposition: attachment; filename=\"budget.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64lines(PDF) +
        b"--" + mixed + b"--\r\n"
    )
    extra = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + mixed + b"\"\r\n"
    return message(n, body, "Plan and budget", extra)


def arc_seal(msg, hop):
    srv = f"mx{hop}.leaktrace.test".encode()
    arc = b"; arc=pass" if hop > 1 else b""
    msg = b"Authentication-Results: " + srv + b"; dkim=pass header.d=leaktrace.test" + arc + b"\r\n" + msg
    return b"".join(dkim.arc_sign(msg, b"rsa2048", DOMAIN, RSA, srv, timestamp=NOW + hop)) + msg


def write(name, data):
    open(os.path.join(HERE, name), "wb").write(data)


expected = {}


def fixture(name, data, verdict, reasons):
    write(name, data)
    expected[name] = {"verdict": verdict, "reasons": reasons}


fixture("simple-simple.eml", sign(message(1, BODY), canon=(b"simple", b"simple")), "verified", ["pass"])
fixture("simple-relaxed.eml", sign(message(2, BODY), canon=(b"simple", b"relaxed")), "verified", ["pass"])
fixture("relaxed-simple.eml", sign(message(3, BODY), canon=(b"relaxed", b"simple")), "verified", ["pass"])
fixture("relaxed-relaxed.eml", sign(message(4, BODY)), "verified", ["pass"])
fixture("ed25519.eml", sign(message(5, BODY), selector=b"ed", key=ED, alg=b"ed25519-sha256"), "verified", ["pass"])
# RFC 8301: a SHA-1 signature that checks out is not "verified", but its own weaker result.
fixture("sha1.eml", sign(message(6, BODY), alg=b"rsa-sha1"), "weak", ["sha1_not_accepted"])
both = sign(sign(message(7, BODY)), selector=b"ed", key=ED, alg=b"ed25519-sha256")
fixture("multiple.eml", both, "verified", ["pass", "pass"])
fixture("l-exact.eml", sign(message(8, BODY), length=True), "verified", ["pass"])
fixture("l-partial.eml", sign(message(9, BODY), length=True) + b"Unsigned text appended after signing.\r\n",
        "unverified", ["partial_body"])
fixture("expired-at-date.eml", sign_times(message(10, BODY), NOW - 7200, NOW - 3600), "unverified", ["expired"])
fixture("expired-now.eml", sign_times(message(11, BODY), NOW, NOW + 7 * 86400), "verified", ["pass"])
fixture("weak-key.eml", sign(message(12, BODY), selector=b"weak", key=WEAK), "unverified", ["key_too_weak"])
fixture("revoked.eml", sign(message(13, BODY), selector=b"revoked"), "unverified", ["key_revoked"])
fixture("lf-only.eml", sign(message(14, BODY), canon=(b"simple", b"simple")).replace(b"\r\n", b"\n"),
        "verified", ["pass"])
forged = sign(message(15, BODY))
fixture("duplicate-from.eml", b"From: The Director <director@leaktrace.test>\r\n" + forged, "unverified",
        ["duplicate_signed_header"])
fixture("unsigned.eml", message(16, BODY), "unsigned", [])
fixture("attachments.eml", sign(with_attachments(17)), "verified", ["pass"])
fixture("arc-chain.eml", arc_seal(arc_seal(sign(message(18, BODY)), 1), 2), "verified", ["pass"])


def mbox_line(n):
    return f"From ann@leaktrace.test Tue Nov 14 22:13:{n:02d} 2023\n".encode()


def mbox(variant, msgs):
    out = b""
    for n, m in enumerate(msgs):
        m = m.replace(b"\r\n", b"\n")
        head, body = m.split(b"\n\n", 1)
        if variant == "mboxcl2":
            head += b"\nContent-Length: " + str(len(body)).encode()
        lines = body.split(b"\n")
        if variant == "mboxo":
            lines = [b">" + l if l.startswith(b"From ") else l for l in lines]
        elif variant == "mboxrd":
            lines = [b">" + l if l.lstrip(b">").startswith(b"From ") else l for l in lines]
        out += mbox_line(n) + head + b"\n\n" + b"\n".join(lines) + b"\n"
    return out


# mboxo cannot keep a body line that starts ">From " (it reads back as
# "From "), so its messages have only "From " lines.
MBOXO_BODY = BODY.replace(b">From a quoted line\r\n", b"")
plain = [sign(message(100 + i, MBOXO_BODY), canon=(b"simple", b"simple")) for i in range(3)]
write("mboxo.mbox", mbox("mboxo", plain))
exact = [sign(message(200 + i, BODY), canon=(b"simple", b"simple")) for i in range(3)]
write("mboxrd.mbox", mbox("mboxrd", exact))
# mboxcl2 does not quote: a body line that looks like a separator is only
# told apart by Content-Length.
CL2_BODY = BODY + b"From bob@example.org Mon Jan  1 00:00:00 2024\r\nwhich looks like the start of a message.\r\n"
cl2 = [sign(message(300 + i, CL2_BODY), canon=(b"simple", b"simple")) for i in range(3)]
write("mboxcl2.mbox", mbox("mboxcl2", cl2))
expected["mboxo.mbox"] = expected["mboxrd.mbox"] = expected["mboxcl2.mbox"] = {"verdict": "verified", "messages": 3}

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", len(expected), "fixtures")
