#!/bin/sh
# Build the native text rules as a filter (main.rs) with rustc alone (no
# cargo, no build directory shared with the workspace). Prints its path.
# Usage: build.sh [OUT_DIR]   (default: a fresh temporary directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
ver=$(awk '/^name = "unicode-segmentation"/{getline; gsub(/[^0-9.]/, ""); print; exit}' "$root/Cargo.lock")
seg=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/unicode-segmentation-"$ver" | head -1)
[ -d "$seg" ] || { echo "build.sh: unicode-segmentation $ver not in the cargo registry" >&2; exit 1; }
# extract_urls and strip_rt_prefix, verbatim from the model crate.
python3 - "$root/crates/model/src/derive.rs" "$out/derive_part.rs" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
parts = []
for name in ("extract_urls", "strip_rt_prefix"):
    m = re.search(r"(?:///[^\n]*\n)*pub fn %s\b.*?\n}\n" % name, src, re.S)
    if not m:
        sys.exit("build.sh: %s not found in derive.rs" % name)
    parts.append(m.group(0))
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(parts))
PY
sed "s|__TEXT_RS__|$root/crates/coord/src/text.rs|" "$here/main.rs" > "$out/main.rs"
rustc -O --edition 2021 --crate-type rlib --crate-name unicode_segmentation --cap-lints allow \
    "$seg/src/lib.rs" -o "$out/libunicode_segmentation.rlib"
printf 'pub mod derive {\ninclude!("derive_part.rs");\n}\n' > "$out/model.rs"
rustc -O --edition 2024 --crate-type rlib --crate-name leaktrace_model --cap-lints allow \
    "$out/model.rs" -o "$out/libleaktrace_model.rlib"
rustc -O --edition 2024 --cap-lints allow -L "$out" \
    --extern unicode_segmentation="$out/libunicode_segmentation.rlib" \
    --extern leaktrace_model="$out/libleaktrace_model.rlib" "$out/main.rs" -o "$out/text_oracle"
echo "$out/text_oracle"
