#!/usr/bin/env bash
# Cross-check leaktrace's DKIM/ARC verdicts with dkimpy on every mail fixture.
# Installs dkimpy into a venv ($VENV, default /tmp/leaktrace-dkimpy-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/tmp/leaktrace-dkimpy-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check dkimpy pynacl authres
fi
# LEAKTRACE_BIN: a binary already built (CI passes the one its test run built).
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then cargo build --quiet -p leaktrace; lt=${CARGO_TARGET_DIR:-target}/debug/leaktrace; fi
"$VENV/bin/python" bench/verify/crosscheck_dkimpy.py "$lt"
