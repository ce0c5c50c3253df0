#!/usr/bin/env bash
# DKIM key recovery: `leaktrace keys recover` against GMP (gmpy2, from PyPI) on the same pair of
# signatures, side by side in one run. Signs two messages with a test key (testdata/mail/recover,
# KEY=d2048 by default, or c1024) using dkimpy, recovers the key with leaktrace (checked against
# the key's modulus), then times s^65537 - m and the gcd for both signatures with gmpy2 on one core.
# Installs dkimpy and gmpy2 into a venv ($VENV, default /tmp/leaktrace-keys-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/tmp/leaktrace-keys-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check dkimpy gmpy2
fi
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then cargo build --quiet --release --workspace; lt=${CARGO_TARGET_DIR:-target}/release/leaktrace; fi
"$VENV/bin/python" bench/keys/recover_vs_gmpy2.py "$lt" "${KEY:-d2048}"
