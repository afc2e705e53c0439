#!/bin/sh
# Differential test: every feed file of ../shared/corpus read by sigwatch and by Python's
# feedparser, compared per file (item count) and per item (title, link, id, date).
#
#     tests/feedparser/run.sh [--list-all]
#
# Installs feedparser into a virtualenv under target/ (PyPI must be reachable), builds the
# `readfeeds` example, and runs compare.py. Skips, saying why, when the corpus or Python is
# missing. Exits non-zero when a target of issue 25 is missed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus="$repo/../shared/corpus"
if [ ! -d "$corpus" ]; then
    echo "feedparser differential: skipped, no corpus at $corpus" >&2
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "feedparser differential: skipped, no python3" >&2
    exit 0
fi
venv="$repo/target/feedparser-venv"
if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        echo "feedparser differential: skipped, python3 cannot make a virtualenv" >&2
        exit 0
    fi
fi
if ! "$venv/bin/python" -c 'import feedparser' 2>/dev/null; then
    if ! "$venv/bin/python" -m pip install --quiet 'feedparser==6.0.12'; then
        echo "feedparser differential: skipped, pip could not install feedparser" >&2
        exit 0
    fi
fi
cd "$repo"
cargo build --quiet --example readfeeds
exec "$venv/bin/python" "$here/compare.py" --corpus "$corpus" \
    --sigwatch "$repo/target/debug/examples/readfeeds" \
    --wrong "$here/feedparser-wrong.tsv" "$@"
