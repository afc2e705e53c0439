#!/usr/bin/env bash
# Peak memory and time of `sigwatch match` with a very large watchlist (issue 24 item 10).
#
#     bash bench/watchlist-memory.sh [TERMS] [LONG_TERM_CHARS]
#
# TERMS (default 100000) two-word terms go into one watch beside the shipped watchlists, and
# one more watch holds a single term of LONG_TERM_CHARS characters (default 1000, the most a
# term may have) made of "a.b." dots and Chinese, the input that once compiled in quadratic
# time. The release binary matches one headline; GNU time reports the peak resident set size
# (the unit file caps the service at MemoryMax=256M; the aim is to stay under 128 MB) and the
# wall time, which on a shared machine moves by 10-20 % from run to run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TERMS=${1:-100000}
LONG=${2:-1000}
DIR=$(mktemp -d /tmp/sigwatch-wl.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

(cd "$ROOT" && cargo build --release --quiet)
python3 - "$TERMS" "$LONG" "$ROOT/config/sigwatch.toml" > "$DIR/sigwatch.toml" <<'PY'
import sys
terms, long_chars, shipped = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
text = open(shipped, encoding="utf-8").read()
# The shipped watches only: sources and the rest stay out of a matching benchmark.
print(text[text.index("[watch.export-action]"):])
print("[watch.bulk]\nterms = [")
for i in range(terms):
    print(f'  "term{i} zq{i * 7919 % 100000}",')
print("]\n")
unit = "a.b.稀土 "
print('[watch.long]\nterms = ["%s"]' % (unit * (long_chars // len(unit)))[:long_chars].strip())
PY
echo "watchlist: $TERMS bulk terms + the shipped watches + one term of $LONG characters"
/usr/bin/time -v "$ROOT/target/release/sigwatch" --config "$DIR/sigwatch.toml" \
    match "China halts gallium shipments; term42 zq32598 found" 2> "$DIR/time.txt" || true
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$DIR/time.txt"
