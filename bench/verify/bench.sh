#!/usr/bin/env bash
# Verify benchmark: leaktrace verify against a dkimpy loop (the library behind
# the AP verify-dkim script) over the same synthetic mbox of signed messages,
# with the same keys, offline.
#
#   bench/verify/bench.sh [N]        (default N = 20000)
#
# Needs python3 (a venv with dkimpy and cryptography is made in $VENV,
# default /tmp/leaktrace-bench-venv). Prints messages/s for each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
VENV=${VENV:-/tmp/leaktrace-bench-venv}
WORK=${WORK:-$(mktemp -d)}
KEYS=testdata/mail/generated/keys.txt

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check dkimpy cryptography
fi
cargo build --release --quiet -p leaktrace
LT=target/release/leaktrace

MBOX="$WORK/bench-$N.mbox"
if [ ! -s "$MBOX" ]; then
  echo "== synthesising $N signed messages into $MBOX"
  "$VENV/bin/python" bench/verify/make_mbox.py testdata/mail/generated/keys/rsa2048.pem "$MBOX" "$N"
fi
echo "mbox: $(du -h "$MBOX" | cut -f1), $N messages, rsa-sha256 2048-bit, relaxed/relaxed; $(nproc) cores"

rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$1" "$2"; }

# Wall seconds, CPU seconds (user + system) and CPU use of one command. The
# machine may be shared: CPU seconds per message is the figure that other
# work on the machine does not distort (much).
timed() {
  /usr/bin/time -o "$WORK/time.txt" -f "%e %U %S %P" "$@" >/dev/null 2>&1
  read -r wall user sys pct <"$WORK/time.txt"
  echo "$wall $(python3 -c "print(round($user + $sys, 2))") $pct"
}

summary() { "$LT" verify "$MBOX" --keys "$KEYS" --quiet "$@" | head -1; }
echo "leaktrace: $(summary)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== leaktrace verify, all cores"
read -r t_all c_all p_all <<<"$(timed "$LT" verify "$MBOX" --keys "$KEYS" --quiet)"
echo "   wall $t_all s ($(rate "$N" "$t_all") messages/s), CPU $c_all s ($p_all)"

echo "== leaktrace verify, one core (RAYON_NUM_THREADS=1, taskset -c 0)"
read -r t_one c_one p_one <<<"$(RAYON_NUM_THREADS=1 timed taskset -c 0 "$LT" verify "$MBOX" --keys "$KEYS" --quiet)"
echo "   wall $t_one s ($(rate "$N" "$t_one") messages/s), CPU $c_one s ($(rate "$N" "$c_one") messages per CPU-second)"

echo "== leaktrace verify --second-opinion (mail-auth's verdict on every signature too), all cores"
read -r t_so c_so p_so <<<"$(timed "$LT" verify "$MBOX" --keys "$KEYS" --quiet --second-opinion)"
echo "   wall $t_so s ($(rate "$N" "$t_so") messages/s), CPU $c_so s ($p_so)"

echo "== dkimpy loop, one core"
read -r t_py c_py p_py <<<"$(timed taskset -c 0 "$VENV/bin/python" bench/verify/dkimpy_verify.py "$KEYS" "$MBOX")"
read -r n ok bad t_loop <<<"$(taskset -c 0 "$VENV/bin/python" bench/verify/dkimpy_verify.py "$KEYS" "$MBOX")"
echo "   $n messages, $ok pass, $bad fail; wall $t_py s ($(rate "$N" "$t_py") messages/s), CPU $c_py s ($(rate "$N" "$c_py") messages per CPU-second)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$t_one" "$c_one" "$t_all" "$t_py" "$c_py" <<'PY'
import sys
one, c_one, allc, py, c_py = map(float, sys.argv[1:])
print(f"ratio to dkimpy: one core {py / one:.1f}x (wall), {c_py / c_one:.1f}x (CPU seconds); all cores {py / allc:.1f}x (wall)")
PY
