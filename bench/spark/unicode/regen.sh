#!/bin/sh
# Regenerate the Unicode tables embedded in crates/coord/spark/coord_job.py
# from the Rust toolchain and the unicode-segmentation crate the workspace
# links (run after either is upgraded; the job must follow the native rules).
# Needs rustc and the crate in ~/.cargo/registry (cargo fetch), nothing else.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
ver=$(awk '/^name = "unicode-segmentation"/{getline; gsub(/[^0-9.]/, ""); print; exit}' "$root/Cargo.lock")
tables=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/unicode-segmentation-"$ver"/src/tables.rs | head -1)
[ -f "$tables" ] || { echo "regen.sh: unicode-segmentation $ver not in the cargo registry (cargo fetch)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|__TABLES_RS__|$tables|" "$here/seg_props.rs" > "$work/seg_props.rs"
rustc -O --edition 2021 "$here/std_props.rs" -o "$work/std_props"
rustc -O --edition 2021 "$work/seg_props.rs" -o "$work/seg_props"
"$work/std_props" > "$work/std.txt"
"$work/seg_props" > "$work/seg.txt"
python3 "$here/make_tables.py" "$work/std.txt" "$work/seg.txt" "$root/crates/coord/spark/coord_job.py"
