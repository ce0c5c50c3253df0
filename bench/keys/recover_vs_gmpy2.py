"""Time DKIM key recovery: leaktrace against gmpy2 (GMP) on the same two signatures."""
import base64, os, re, subprocess, sys, tempfile, time

import dkim
import gmpy2

lt, keyname = sys.argv[1], sys.argv[2]
der = open(f"testdata/mail/recover/{keyname}.der", "rb").read()
pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PRIVATE KEY-----\n"

work = tempfile.mkdtemp(prefix="leaktrace-recover-")
sigs = []
for n in range(2):
    msg = (f"From: Reporter {n} <r{n}@example.org>\r\nTo: desk@example.org\r\n"
           f"Subject: batch {n}\r\nDate: Tue, 04 Oct 2016 10:0{n}:00 -0400\r\n\r\nbody {n}\r\n").encode()
    sig = dkim.sign(msg, b"bench", b"example.org", pem, include_headers=[b"from", b"to", b"subject", b"date"])
    open(os.path.join(work, f"{n}.eml"), "wb").write(sig + msg)
    b = re.search(rb"b=([A-Za-z0-9+/=\s]+)$", sig.replace(b"\r\n", b"").strip()).group(1)
    sigs.append(int.from_bytes(base64.b64decode(re.sub(rb"\s", b"", b)), "big"))

# The modulus, read from the DER (the second INTEGER of RSAPrivateKey).
def der_ints(d):
    i, out = 4 if d[1] == 0x82 else 3, []
    while len(out) < 3:
        assert d[i] == 2
        l, i = d[i + 1], i + 2
        if l & 0x80:
            k = l & 0x7F
            l, i = int.from_bytes(d[i:i + k], "big"), i + k
        out.append(int.from_bytes(d[i:i + l], "big"))
        i += l
    return out
_, n, e = der_ints(der)
assert e == 65537

out = os.path.join(work, "recovered.txt")
t = time.time()
# CPU seconds besides wall time: on a shared machine other work stretches the
# wall time of both sides, and the comparison is of work done on one core.
r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", lt, "keys", "recover", work, "--out", out, "--quiet"],
                   capture_output=True, text=True)
lt_s = time.time() - t
if r.returncode != 0:
    sys.exit(f"leaktrace failed:\n{r.stderr}")
rss_kib, lt_user, lt_sys = r.stderr.strip().splitlines()[-1].split()
rss_mib, lt_cpu = int(rss_kib) / 1024, float(lt_user) + float(lt_sys)
p = re.search(r"p=([A-Za-z0-9+/=]+)", open(out).read()).group(1)
assert n.to_bytes((n.bit_length() + 7) // 8, "big") in base64.b64decode(p), "recovered modulus is not the key's"

gmpy2.get_context().precision = 2
t, c = time.time(), time.process_time()
ms = [gmpy2.powmod(s, e, n) for s in sigs]   # the encoded hashes: the same numbers leaktrace computes
a = [gmpy2.mpz(s) ** e - m for s, m in zip(sigs, ms)]
pw, pw_cpu = time.time() - t, time.process_time() - c
t, c = time.time(), time.process_time()
g = gmpy2.gcd(a[0], a[1])
gc, gc_cpu = time.time() - t, time.process_time() - c
assert g % n == 0
print(f"key {keyname}: {n.bit_length()} bits, numbers of {a[0].bit_length():,} bits")
print(f"leaktrace keys recover (whole command, 2 messages): {lt_s:.1f} s wall, {lt_cpu:.1f} s CPU, "
      f"peak RSS {rss_mib:.0f} MiB; modulus checked")
print(f"gmpy2 {gmpy2.version()} ({gmpy2.mp_version()}): powers {pw:.1f} s + gcd {gc:.1f} s = {pw + gc:.1f} s wall, "
      f"{pw_cpu + gc_cpu:.1f} s CPU (gcd {gc_cpu:.1f} s)")
print(f"ratio leaktrace / gmpy2: {lt_s / (pw + gc):.2f} wall, {lt_cpu / (pw_cpu + gc_cpu):.2f} CPU")
