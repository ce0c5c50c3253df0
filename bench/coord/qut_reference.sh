#!/usr/bin/env bash
# Run the QUT Coordination Network Toolkit 1.5.2 on a QUT CSV and write its
# edge lists for co_retweet, co_tweet, co_link and co_similar_tweet at each
# window, as `<type>-w<window>.csv` in OUT_DIR. Its command-line defaults
# are kept (min edge weight 2, similarity 0.8, minimum document size 1).
#
#   bench/coord/qut_reference.sh INPUT.csv OUT_DIR [WINDOW...]   (default windows: 59 60 600)
#
# The toolkit is installed from PyPI into a virtualenv ($QUT_VENV, default
# a cache folder under /tmp), so this needs python3 and network access to PyPI.
set -euo pipefail
input=$(realpath "$1"); out=$(realpath -m "$2"); shift 2
windows=("$@"); [ ${#windows[@]} -gt 0 ] || windows=(59 60 600)
venv=${QUT_VENV:-/tmp/leaktrace-qut-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import coordination_network_toolkit' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet coordination-network-toolkit==1.5.2
fi
mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
db="$work/qut.db"
"$venv/bin/python" -W ignore -m coordination_network_toolkit "$db" preprocess "$input" >/dev/null
for type in co_retweet co_tweet co_link co_similar_tweet; do
    for w in "${windows[@]}"; do
        "$venv/bin/python" -W ignore -m coordination_network_toolkit "$db" compute "$type" --time_window "$w" >/dev/null
        # The toolkit's own CSV writer, called directly: its command line's
        # `--output_format csv` (and `export_network`) fails in 1.5.2 with
        # "output_gephi_csv() got an unexpected keyword argument 'n_messages'".
        "$venv/bin/python" -c 'import sys; from coordination_network_toolkit.output import output_gephi_csv; output_gephi_csv(*sys.argv[1:])' \
            "$db" "$type" "$out/$type-w$w.csv"
    done
done
echo "toolkit edge lists in $out"
