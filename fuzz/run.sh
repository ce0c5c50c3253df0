#!/usr/bin/env bash
# Run fuzz targets so that resource bombs are findings, not only panics:
# each under -rss_limit_mb=512 -timeout=2 (a run over 2 s or 512 MB is a
# crash), seeded with the fixtures of testdata/ and with small hostile
# inputs of the kinds that once cost minutes or gigabytes.
#
# usage: fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]   (default 60 s, every target)
#        RUNS=1000000 fuzz/run.sh 0 [TARGET...]          (a number of executions instead of a time)
#        RUNS=1000000 fuzz/run.sh 300 [TARGET...]        (a million executions or 300 s, whichever comes first)
# Needs cargo-fuzz (cargo install cargo-fuzz) and a nightly toolchain, or a
# stable one with RUSTC_BOOTSTRAP=1 for the sanitizer flags (used when no
# nightly is installed, or with FUZZ_STABLE=1: a build made that way is not
# rebuilt).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
fuzz() {
  if [ "${FUZZ_STABLE:-0}" != 1 ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo +nightly fuzz "$@"
  else
    RUSTC_BOOTSTRAP=1 cargo fuzz "$@"
  fi
}
# AddressSanitizer keeps up to 256 MB of freed memory in quarantine, and
# that counts against -rss_limit_mb: verify_message went over 512 MB after
# 4,275 inputs, none of which needs more than 55 MB alone. A smaller
# quarantine keeps the limit about what the parser holds.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
# RUNS and a time together: whichever comes first (0 s: no time limit).
limit=()
[ -n "${RUNS:-}" ] && limit+=(-runs="$RUNS")
[ "$secs" != 0 ] && limit+=(-max_total_time="$secs")
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(fuzz list); fi
seed() { # seed TARGET FILE...
  local dest=corpus/$1
  mkdir -p "$dest"
  shift
  for f in "$@"; do
    if [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 1048576 ]; then cp "$f" "$dest/"; fi
  done
}
hostile=$(mktemp -d)
trap 'rm -rf "$hostile"' EXIT
python3 - "$hostile" <<'PY'
import os, sys
d = sys.argv[1]
def w(n, b): open(os.path.join(d, n), "wb").write(b)
head = b"From: a@b.example\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
w("nested.eml", head + b"".join(b"Content-Type: multipart/mixed; boundary=%d\r\n\r\n--%d\r\n" % (i, i) for i in range(300)))
w("long-h.eml", b"DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=" + b":".join([b"from"] * 5000) + b"; bh=A; b=A\r\n" + head + b"\r\nx\r\n")
w("sigs.eml", b"DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=A; b=A\r\n" * 500 + head + b"\r\nx\r\n")
w("stray.eml", head + b"no colon here\r\n" * 2000 + b"\r\nx\r\n")
w("streams.pdf", b"%PDF-1.5\n" + b"stream\n" * 5000)
w("empty-records.csv", b"author_id,content,publish_date\n" + b'""\n' * 5000)
w("unclosed.csv", b"author_id,content,publish_date\na,\"open\n" + b"\n" * 5000)
w("key-newline.txt", b"s._domainkey.attacker.example\0v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n20230601._domainkey.gmail.com v=DKIM1; p=K")
w("web-page.txt", b"/search?q=x&page=100000000")
w("web-net.txt", b"/network?run=99999999999999&max_nodes=18446744073709551615&min_weight=1")
w("web-edge.txt", b"/edge?a=%00&b=%ff&run=1")
# A PNG header claiming 100000 x 100000 pixels (a decompression bomb), and a Telegram export nested deep.
w("bomb.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x06\x00\x00\x00\x00\x00\x00\x00")
w("deep.json", b'{"name":"c","type":"private_group","id":1,"messages":[{"id":1,"text":' + b"[" * 5000 + b"]" * 5000 + b"}]}")
PY
printf '%-22s %12s %8s  %s\n' target executions seconds findings
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  case "$t" in
    mbox|verify_message|received|key_archive|key_archive_append)
      seed "$t" ../testdata/mail/generated/* ../testdata/mail/zobnin-2017/* ../testdata/mail/mail-auth/* "$hostile"/*.eml "$hostile"/key-*.txt ;;
    pdf|ooxml|ole) seed "$t" ../testdata/mail/ole/* "$hostile"/*.pdf ;;
    web_request) seed "$t" "$hostile"/web-*.txt ;;
    image_hash) seed "$t" ../testdata/social/images/* ../testdata/social/telegram/photos/* "$hostile"/*.png ;;
    telegram) seed "$t" ../testdata/social/telegram/result.json ../testdata/social/telegram-account.json "$hostile"/deep.json ;;
    *) seed "$t" ../testdata/ira/* ../testdata/social/* ../testdata/timeline/* ../testdata/articles/* ../testdata/coord/*.csv "$hostile"/*.csv ;;
  esac
  # libFuzzer holds the whole corpus in memory, and that counts against
  # -rss_limit_mb: a corpus grown by long runs (10,000 inputs, 117 MB) went
  # over 512 MB before its first input. A corpus of more than CMIN_OVER
  # inputs (2,000) is first merged to the inputs that add coverage.
  if [ "$(find "corpus/$t" -type f | wc -l)" -gt "${CMIN_OVER:-2000}" ]; then
    fuzz cmin -O "$t" "corpus/$t" >/dev/null 2>&1 || echo "run.sh: cmin of $t failed; running on the whole corpus" >&2
  fi
  log=$(mktemp)
  start=$(date +%s)
  rc=0
  fuzz run -O "$t" "corpus/$t" -- "${limit[@]}" -rss_limit_mb=512 -timeout=2 \
    -max_len=262144 -print_final_stats=1 >"$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=none
  if [ "$rc" != 0 ]; then
    found=$(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|ERROR: LeakSanitizer: [a-z ]+|ERROR: AddressSanitizer: [a-z-]+|panicked at [^ ]+' "$log" || echo "exit $rc")
    # The whole log is kept beside the input that was saved.
    mkdir -p "artifacts/$t"
    cp "$log" "artifacts/$t/run-$(date +%Y%m%dT%H%M%S).log"
  fi
  printf '%-22s %12s %8s  %s\n' "$t" "${runs:-?}" "$(( $(date +%s) - start ))" "$found"
  [ "$rc" = 0 ] || grep -E 'ERROR|SUMMARY|panicked|artifact_prefix|Test unit written' "$log" | head -8 | sed 's/^/    /'
  rm -f "$log"
done
