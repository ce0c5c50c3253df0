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
cargo build --quiet -p leaktrace
"$VENV/bin/python" bench/verify/crosscheck_dkimpy.py "${CARGO_TARGET_DIR:-target}/debug/leaktrace"
