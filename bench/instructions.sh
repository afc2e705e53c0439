#!/usr/bin/env bash
# Instructions one cold poll of N farm feeds executes, counted by callgrind.
#
#     bash bench/instructions.sh [N]        (N defaults to 1000: about a minute under valgrind)
#
# Time on this shared 2-core machine moves by 10-20 % from run to run, so a change of a few
# per cent cannot be told from the noise with a stopwatch. The instruction count of the same
# poll moves by under 0.2 % (the order in which threads run varies a little), so it can; it
# does not see cache misses or the kernel's work, so confirm a gain in time with
# bench/compare.sh. What it does:
#   1. installs valgrind with apt-get when it is missing (needs root);
#   2. builds sigwatch and the feed farm without LTO under target/prof (LTO changes the
#      counts, not how two builds compare, and takes minutes longer);
#   3. starts the farm with N feeds on 127.0.0.1 and runs `sigwatch poll` on a fresh database
#      under `valgrind --tool=callgrind`;
#   4. prints the total and the costliest functions, inclusive of what they call.
# The callgrind output stays in $OUT_DIR (default a new temp dir) for callgrind_annotate.
# With TOOL=dhat the same poll runs under `valgrind --tool=dhat` instead and the script prints
# the heap blocks allocated (an exact count, like the instructions): $OUT_DIR/dhat.json holds
# them by call stack.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/farm.sh
source "$ROOT/bench/farm.sh"
N=${1:-1000}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/sigwatch-instr.XXXXXX)}
mkdir -p "$OUT_DIR"
TOP=${TOP:-25}

if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing valgrind with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    else
        echo "valgrind is needed: apt-get install valgrind" >&2
        exit 1
    fi
fi

echo "building sigwatch and the feed farm (profiling profile, no LTO) under target/prof" >&2
(cd "$ROOT" && CARGO_PROFILE_PROFILING_LTO=false CARGO_PROFILE_PROFILING_CODEGEN_UNITS=16 \
    cargo build --profile profiling --quiet --target-dir target/prof --bin sigwatch --example feedfarm)
SIGWATCH=$ROOT/target/prof/profiling/sigwatch
FARM=$ROOT/target/prof/profiling/examples/feedfarm

trap 'kill ${FARM_PID:-} 2>/dev/null || true' EXIT
start_farm "$FARM" "$N" "$OUT_DIR"
# The same config as bench/compare.sh's.
sigwatch_config "$N" 16 >"$OUT_DIR/sigwatch.toml"

if [ "${TOOL:-callgrind}" = dhat ]; then
    echo "cold poll of $N feeds under dhat" >&2
    valgrind --tool=dhat --dhat-out-file="$OUT_DIR/dhat.json" \
        "$SIGWATCH" --config "$OUT_DIR/sigwatch.toml" poll >"$OUT_DIR/poll.log" 2>"$OUT_DIR/valgrind.log"
    tail -n 1 "$OUT_DIR/poll.log" >&2
    blocks=$(sed -nE 's/.*Total: +[0-9,]+ bytes in ([0-9,]+) blocks.*/\1/p' "$OUT_DIR/valgrind.log")
    echo "cold poll of $N feeds: $blocks heap blocks allocated (by call stack: $OUT_DIR/dhat.json)"
    exit 0
fi

echo "cold poll of $N feeds under callgrind" >&2
valgrind --tool=callgrind --callgrind-out-file="$OUT_DIR/callgrind.out" \
    "$SIGWATCH" --config "$OUT_DIR/sigwatch.toml" poll >"$OUT_DIR/poll.log" 2>"$OUT_DIR/valgrind.log"
tail -n 1 "$OUT_DIR/poll.log" >&2

total=$(awk '/^summary:/ { print $2 }' "$OUT_DIR/callgrind.out")
printf 'cold poll of %s feeds: %s instructions (%.2f G)\n' "$N" "$total" "$(awk -v t="$total" 'BEGIN { print t / 1e9 }')"
echo "costliest functions, inclusive (callgrind_annotate --inclusive=yes $OUT_DIR/callgrind.out):"
callgrind_annotate --inclusive=yes "$OUT_DIR/callgrind.out" 2>/dev/null |
    grep -E '^ *[0-9,]+ \( *[0-9.]+%\)  [^ ].*\]$' | grep -E 'sigwatch::|sqlite3|fts5|malloc|free' |
    sed -E 's#/root/.cargo/registry/src/[^/]+/##; s#/rustc/[0-9a-f]+/library/##; s# \[[^]]*\]$##' | head -n "$TOP"
