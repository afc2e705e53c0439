#!/usr/bin/env bash
# Two sigwatch builds side by side: cold and warm polls of the same farm feeds, interleaved
# round by round, and the ratio of the second to the first taken within each round.
#
#     bash bench/ab.sh OLD_ROOT NEW_ROOT [N]      (N feeds, default 1000; ROUNDS, default 15)
#
# Each ROOT is a checkout with `target/release/sigwatch` built (the same way in both: compare
# a fat-LTO build with a fat-LTO one) and its own `config/sigwatch.toml`, whose watches that
# build polls with. The farm is NEW_ROOT's `target/release/examples/feedfarm`.
#
# Why pairs: this machine's speed drifts by a third within an hour, so two medians taken minutes
# apart compare the minutes as much as the builds; a ratio within one round does not.
set -euo pipefail

OLD_ROOT=$(cd "$1" && pwd)
NEW_ROOT=$(cd "$2" && pwd)
N=${3:-1000}
ROUNDS=${ROUNDS:-15}
D=$(mktemp -d /tmp/sigwatch-ab.XXXXXX)

# shellcheck source=bench/farm.sh
source "$NEW_ROOT/bench/farm.sh"
start_farm "$NEW_ROOT/target/release/examples/feedfarm" "$N" "$D"
trap 'kill $FARM_PID 2>/dev/null || true' EXIT

for r in $(seq 1 "$ROUNDS"); do
    for v in old new; do
        if [ $v = old ]; then ROOT=$OLD_ROOT; else ROOT=$NEW_ROOT; fi
        rm -rf "${D:?}/$v" && mkdir -p "$D/$v"
        sigwatch_config "$N" 16 >"$D/$v/sigwatch.toml"
        for phase in cold warm; do
            /usr/bin/time -f "$r $v $phase %e %U %S %M" -a -o "$D/times" \
                "$ROOT/target/release/sigwatch" --config "$D/$v/sigwatch.toml" poll >"$D/$v/$phase.log" 2>&1 ||
                echo "round $r: $v $phase poll failed (see $D/$v/$phase.log)" >&2
        done
    done
done

python3 - "$D/times" "$ROUNDS" "$N" <<'PY'
import statistics as st
import sys

rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 7]
print(f"{sys.argv[3]} feeds, {sys.argv[2]} rounds; medians, and new/old within each round:")
for phase in ("cold", "warm"):
    by = {v: {r[0]: r for r in rows if r[1] == v and r[2] == phase} for v in ("old", "new")}
    pairs = [(by["old"][k], by["new"][k]) for k in by["old"] if k in by["new"]]
    if not pairs:
        continue
    wall = lambda r: float(r[3])
    cpu = lambda r: float(r[4]) + float(r[5])
    rss = lambda r: int(r[6]) / 1024
    for v, i in (("old", 0), ("new", 1)):
        side = [p[i] for p in pairs]
        print(f"  {v} {phase}: wall {st.median(map(wall, side)):.2f} s, CPU {st.median(map(cpu, side)):.2f} s, "
              f"peak RSS {st.median(map(rss, side)):.1f} MiB")
    for name, f in (("wall", wall), ("CPU", cpu)):
        ratios = [f(n) / f(o) for o, n in pairs if f(o) > 0]
        print(f"  {phase} {name} new/old: median {st.median(ratios):.3f} (range {min(ratios):.2f}-{max(ratios):.2f})")
PY
echo "raw times: $D/times"
