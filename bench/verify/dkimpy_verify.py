#!/usr/bin/env python3
"""The dkimpy side of the benchmark: verify every message of an mbox with
keys from a leaktrace key archive (no DNS), as the AP verify-dkim script
does per message. Prints: messages verified unverified seconds.

usage: dkimpy_verify.py KEYS.txt FILE.mbox
"""
import mailbox
import sys
import time

import dkim

keys = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith((";", "#")):
        name, value = line.split(None, 1)
        keys[name.lower().rstrip(".") + "."] = value.encode()


def dns(name, timeout=5):
    return keys.get(name.decode().lower())


start = time.time()
n = ok = 0
box = mailbox.mbox(sys.argv[2], create=False)
for key in box.iterkeys():
    n += 1
    if dkim.verify(box.get_bytes(key), dnsfunc=dns):
        ok += 1
elapsed = time.time() - start
print(n, ok, n - ok, f"{elapsed:.3f}")
