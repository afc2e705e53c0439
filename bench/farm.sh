# Shared by bench/compare.sh and bench/instructions.sh (sourced, not run).

# start_farm BIN N DIR: starts the feed farm BIN serving N feeds on 127.0.0.1, its output in
# DIR/farm.out and DIR/farm.err, and waits until it serves; sets FARM_PID and ADDR (host:port).
start_farm() {
    local bin=$1 n=$2 dir=$3
    "$bin" --feeds "$n" --threads 2 >"$dir/farm.out" 2>"$dir/farm.err" &
    FARM_PID=$!
    for _ in $(seq 1 600); do
        grep -q '^serving' "$dir/farm.out" 2>/dev/null && break
        sleep 0.1
    done
    ADDR=$(awk '/^listening on/ { print $3 }' "$dir/farm.out")
    [ -n "$ADDR" ] || { echo "the feed farm did not start" >&2; cat "$dir/farm.err" >&2; exit 1; }
}

# sigwatch_config N CONCURRENCY: prints a sigwatch config listing the first N farm feeds at
# $ADDR, with the shipped config's watches, [fetch] concurrency and [poll] per_host both
# CONCURRENCY (see bench/compare.sh), and the database in sigwatch.db beside the config.
sigwatch_config() {
    local n=$1 concurrency=$2
    printf '[storage]\npath = "sigwatch.db"\n\n[fetch]\nconcurrency = %s\n\n' "$concurrency"
    printf '[poll]\nper_host = %s\n\n' "$concurrency"
    for ((i = 0; i < n; i++)); do
        printf '[[source]]\nname = "farm-%d"\nurl = "http://%s/feed/%d.xml"\n' "$i" "$ADDR" "$i"
    done
    sed -n '/^\[watch\./,$p' "$ROOT/config/sigwatch.toml"
}
