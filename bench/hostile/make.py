#!/usr/bin/env python3
"""Build the hostile inputs that once cost leaktrace minutes or gigabytes,
each small on disk, into the folder given. run.sh feeds them to leaktrace
and checks time and peak memory.

usage: make.py OUTDIR
"""
import base64
import gzip
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write(name, data, compress=False):
    path = os.path.join(out, name)
    if compress:
        with gzip.open(path, "wb", compresslevel=6) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


HEAD = (b"From: Ann <ann@leaktrace.test>\r\nTo: Bob <bob@leaktrace.test>\r\n"
        b"Subject: hostile\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <h@leaktrace.test>\r\n")

# A PDF of 1.4 MB whose every `stream` keyword has no dictionary before it:
# a backwards scan from each keyword to the start of the file is quadratic.
pdf = b"%PDF-1.5\n" + b"stream\n" * 200_000
att = base64.encodebytes(pdf)
write("pdf-backscan.eml", HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
      b"Content-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      + att.replace(b"\n", b"\r\n") + b"--b--\r\n")

# 20,000 nested multipart levels in about 1.4 MB.
levels = 20_000
nested = b"".join(b"Content-Type: multipart/mixed; boundary=%d\r\n\r\n--%d\r\n" % (i, i) for i in range(levels))
nested += b"Content-Type: text/plain\r\n\r\nbottom\r\n"
nested += b"".join(b"--%d--\r\n" % i for i in reversed(range(levels)))
write("nested-multipart.eml", HEAD + b"MIME-Version: 1.0\r\n" + nested)

# A DKIM signature whose h= names 160,000 fields.
h = b":".join([b"from"] * 160_000)
write("dkim-long-h.eml", b"DKIM-Signature: v=1; a=rsa-sha256; d=leaktrace.test; s=rsa2048; c=relaxed/relaxed; h="
      + h + b"; bh=AAAA; b=AAAA\r\n" + HEAD + b"\r\nbody\r\n")

IRA_HEAD = b"author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet\n"
IRA_ROW = b"AdamChapmanJR,hello #a,United States,English,2016-10-07 00:05:00,2016-10-07 00:06:00,582,943,2083,,0\n"

# 100,000 DKIM-Signature fields (each check reads every header field).
write("many-signatures.eml", b"DKIM-Signature: v=1; a=rsa-sha256; d=leaktrace.test; s=rsa2048; h=from; bh=AAAA; b=AAAA\r\n" * 100_000
      + HEAD + b"\r\nbody\r\n")

# CSV: 100,000 lines of "" (each an empty record the reader skips).
write("empty-records.csv", IRA_HEAD + b'""\n' * 100_000 + IRA_ROW)

# CSV: a quote opened and never closed, then 4 GiB of data... here 256 MiB of newlines
# and text, gzipped to a few hundred kilobytes.
body = (b"x" * 1023 + b"\n") * (256 * 1024)
write("unclosed-quote.csv.gz", IRA_HEAD + IRA_ROW + b"a,\"never closed\n" + body, compress=True)

# JSON lines: one line of 256 MiB between two good tweets, gzipped.
tweet = (b'{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"1","text":"hi",'
         b'"user":{"id_str":"6","screen_name":"a"}}\n')
write("long-json-line.jsonl.gz", tweet + b'{"text":"' + b"x" * (256 << 20) + b'"}\n' + tweet.replace(b'"1"', b'"2"'),
      compress=True)

# An mbox of 320 MB (640 messages of 500 KB of text): memory must stay flat
# in the size of the mailbox (all messages were once collected before any was
# stored).
with open(os.path.join(out, "big.mbox"), "wb") as f:
    line = b"All work and no play makes a dull leak, line after line of it.\n"
    body = line * (500_000 // len(line))
    for i in range(640):
        f.write(b"From sender@leaktrace.test Tue Nov 14 22:13:20 2023\n")
        f.write(HEAD.replace(b"\r\n", b"\n").replace(b"<h@", b"<h%d@" % i) + b"\n" + body + b"\n")

# An mbox whose first message's header never ends (300 MB without a blank
# line), and one whose body is a single 300 MB line, gzipped.
sep = b"From sender@leaktrace.test Tue Nov 14 22:13:20 2023\n"
write("endless-header.mbox.gz", sep + b"Subject: x\n" + (b"X-Pad: " + b"a" * 992 + b"\n") * (300 << 10), compress=True)
write("endless-line.mbox.gz", sep + b"Subject: x\n\n" + b"x" * (300 << 20) + b"\n", compress=True)
