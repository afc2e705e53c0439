#!/usr/bin/env bash
# sigwatch side by side with newsboat and rss2email on the same local feed farm.
#
#     bash bench/compare.sh
#
# What it does, in one run on one machine:
#   1. installs what it needs (GNU time and newsboat from Debian as root; rss2email and
#      aiosmtpd into a venv under target/bench-venv) and says how long that took;
#   2. builds sigwatch (release) and the feed farm (examples/feedfarm.rs);
#   3. starts the farm on 127.0.0.1 (port 0), serving MAX generated RSS feeds of 50 items,
#      with ETag/Last-Modified and 304s; about a fifth of the items mention a watch term;
#   4. for N in $SIZES (200 and 1000): a cold poll (fresh database / cache / state) and a warm
#      poll (same state again: every feed answers 304) with each tool, measured with
#      /usr/bin/time -v (wall, user+sys CPU, peak RSS);
#   5. a scaling run of sigwatch alone for N in $SCALE (200 1000 5000 10000), cold and warm,
#      in ROUNDS rounds (default 7) that each poll every N once, so that every N's runs
#      spread over the same minutes (this machine's speed drifts by a third within an hour,
#      and a ratio of runs made ten minutes apart measured the drift as much as the code);
#   6. the RSS of an idle `sigwatch run` daemon holding the 1000-source config;
#   7. prints the tables, with each peer's ratio to sigwatch.
#
# Environment: SIZES, SCALE (lists of N), BENCH_DIR (work folder, default a new temp dir),
# SKIP_INSTALL=1 (use what is installed), SKIP_PEERS=1 (sigwatch only), REPEAT (in the side by
# side table, sigwatch's cold and warm polls are each run this many times, default 3, and the
# run of median wall time is reported: one sample of a few seconds moves by 10-30 % between
# runs), ROUNDS (the scaling runs' rounds, default 7), R2E_MAX (largest N rss2email is run at;
# default 1000).
#
# Nothing here talks to anything but 127.0.0.1, apart from the package installs. No tool
# reads or writes $HOME: newsboat gets -u/-c/-C, rss2email gets -c/-d, sigwatch --config.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/farm.sh
source "$ROOT/bench/farm.sh"
SIZES=${SIZES:-"200 1000"}
SCALE=${SCALE:-"200 1000 5000 10000"}
R2E_MAX=${R2E_MAX:-1000}
REPEAT=${REPEAT:-3}
ROUNDS=${ROUNDS:-7}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sigwatch-bench.XXXXXX)}
VENV=${VENV:-$ROOT/target/bench-venv}
mkdir -p "$BENCH_DIR"
RESULTS=$BENCH_DIR/results.tsv
: >"$RESULTS"
: >"$BENCH_DIR/runs.tsv"

# Concurrency. Every farm feed lives on one host, 127.0.0.1, while real sources are spread over
# many hosts. sigwatch's [poll] per_host (default 2) is politeness towards one real site; left at
# 2 it would serialize the whole farm behind two connections and measure the politeness rule, not
# the poller. So the bench sets per_host equal to [fetch] concurrency: the per-host limit never
# binds, and the global limit alone governs, as it does for a real list of many sites.
# 16 at once is enough to keep both cores busy while responses are in flight (a loopback
# request takes well under a millisecond); more only adds connections. newsboat gets the same
# number of reload threads (`reload-threads`, default 1) so that it is not handicapped by its
# default; rss2email has no concurrency setting and polls one feed after another.
CONCURRENCY=${CONCURRENCY:-16}

say() { printf '\n== %s\n' "$*" >&2; }
now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
RUN_T0=$(now)

# ---------------------------------------------------------------------------------------------
# 1. Installs
# ---------------------------------------------------------------------------------------------
NEWSBOAT_WHY=""
R2E_WHY=""
install_all() {
    local t0
    if [ ! -x /usr/bin/time ] || ! command -v newsboat >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            t0=$(now)
            say "installing time and newsboat with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time newsboat sqlite3 >/dev/null ||
                echo "apt-get install failed" >&2
            echo "apt-get: $(secs_since "$t0") s" >&2
        else
            echo "not root or no apt-get: cannot install GNU time / newsboat" >&2
        fi
    else
        echo "time and newsboat already installed" >&2
    fi
    if [ ! -x "$VENV/bin/r2e" ] || [ ! -x "$VENV/bin/python" ] ||
        ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
        t0=$(now)
        say "installing rss2email and aiosmtpd into $VENV"
        if python3 -m venv "$VENV" && "$VENV/bin/pip" install -q rss2email aiosmtpd; then
            echo "pip: $(secs_since "$t0") s" >&2
        else
            R2E_WHY="pip install rss2email aiosmtpd failed (see above)"
        fi
    else
        echo "rss2email already installed in $VENV" >&2
    fi
}
t_install=$(now)
if [ "${SKIP_INSTALL:-0}" != 1 ]; then install_all; fi
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }
command -v newsboat >/dev/null || NEWSBOAT_WHY="newsboat is not installed (needs root and apt-get)"
[ -x "$VENV/bin/r2e" ] || R2E_WHY=${R2E_WHY:-"rss2email is not installed in $VENV"}
INSTALL_SECS=$(secs_since "$t_install")
echo "installs: $INSTALL_SECS s in all" >&2

# ---------------------------------------------------------------------------------------------
# 2. Build
# ---------------------------------------------------------------------------------------------
say "building sigwatch and the feed farm (release)"
t0=$(now)
(cd "$ROOT" && cargo build --release --quiet --bin sigwatch --example feedfarm)
BUILD_SECS=$(secs_since "$t0")
echo "build: $BUILD_SECS s" >&2
SIGWATCH=$ROOT/target/release/sigwatch
FARM=$ROOT/target/release/examples/feedfarm

# ---------------------------------------------------------------------------------------------
# 3. The farm (and the SMTP sink for rss2email)
# ---------------------------------------------------------------------------------------------
MAX=0
for n in $SIZES $SCALE; do [ "$n" -gt "$MAX" ] && MAX=$n; done
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

say "starting the feed farm with $MAX feeds"
start_farm "$FARM" "$MAX" "$BENCH_DIR"
PIDS+=("$FARM_PID")
cat "$BENCH_DIR/farm.out" >&2

SMTP_PORT=""
if [ -z "$R2E_WHY" ] && [ "${SKIP_PEERS:-0}" != 1 ]; then
    SMTP_PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    : >"$BENCH_DIR/smtp.count"
    "$VENV/bin/python" "$ROOT/bench/smtp_sink.py" "$SMTP_PORT" "$BENCH_DIR/smtp.count" \
        >"$BENCH_DIR/smtp.out" 2>&1 &
    PIDS+=($!)
    sleep 1
fi

# ---------------------------------------------------------------------------------------------
# Measuring: one row per run in results.tsv: tool n phase wall_s cpu_s rss_kb work
# ---------------------------------------------------------------------------------------------
# measure TOOL N PHASE WORK-COMMAND -- COMMAND...: runs COMMAND under /usr/bin/time -v, then
# WORK-COMMAND (a shell snippet printing what the run did, e.g. items stored).
measure() {
    local tool=$1 n=$2 phase=$3 work=$4
    shift 5
    local tf=$BENCH_DIR/time.$tool.$n.$phase log=$BENCH_DIR/log.$tool.$n.$phase
    local rc=0
    /usr/bin/time -v -o "$tf" "$@" >"$log" 2>&1 || rc=$?
    local wall user sys rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
        for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$tf")
    user=$(awk -F': ' '/User time/ { print $2 }' "$tf")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$tf")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
    local did
    did=$(eval "$work" 2>/dev/null || echo "?")
    [ "$rc" = 0 ] || did="exit $rc; $did"
    printf '%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n' "$tool" "$n" "$phase" "$wall" \
        "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rss" "$did" >>"${OUT:-$RESULTS}"
    printf '  %-10s N=%-6s %-5s wall %6ss  cpu %6ss  rss %7s KiB  %s\n' "$tool" "$n" "$phase" \
        "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rss" "$did" >&2
}

# sigwatch: a config listing the first N farm feeds, with the shipped config's watches.
sigwatch_setup() {
    local n=$1 dir=$BENCH_DIR/sigwatch-$1
    rm -rf "$dir" && mkdir -p "$dir"
    sigwatch_config "$n" "$CONCURRENCY" >"$dir/sigwatch.toml"
    echo "$dir"
}
sigwatch_work() { # the summary line of `sigwatch poll`
    sed -n 's/^polled \([0-9]*\) sources: \([0-9]*\) fetched, \([0-9]*\) not modified, \([0-9]*\) failed; \([0-9]*\) new items, \([0-9]*\) new hits.*/\2 fetched, \3 not modified, \4 failed, \5 items, \6 hits/p' "$1"
}
# One cold poll (into a fresh database) and one warm poll of N feeds, both appended to RUNS.
sigwatch_once() {
    local n=$1 runs=$2 dir
    dir=$(sigwatch_setup "$n")
    OUT=$runs measure sigwatch "$n" cold "sigwatch_work $BENCH_DIR/log.sigwatch.$n.cold" -- \
        "$SIGWATCH" --config "$dir/sigwatch.toml" poll
    OUT=$runs measure sigwatch "$n" warm "sigwatch_work $BENCH_DIR/log.sigwatch.$n.warm" -- \
        "$SIGWATCH" --config "$dir/sigwatch.toml" poll
}
# Appends to OUT, for each phase of N, the run in RUNS of median wall time (of COUNT runs).
keep_median() {
    local n=$1 runs=$2 out=$3 count=$4 phase
    for phase in cold warm; do
        awk -F'\t' -v n="$n" -v p="$phase" '$1 == "sigwatch" && $2 == n && $3 == p' "$runs" |
            sort -t$'\t' -k4,4g | sed -n "$(((count + 1) / 2))p" >>"$out"
    done
}
# REPEAT cold and warm polls of N in a row, the run of median wall time into the results.
run_sigwatch() {
    local n=$1 r
    for ((r = 1; r <= REPEAT; r++)); do sigwatch_once "$n" "$BENCH_DIR/runs.tsv"; done
    keep_median "$n" "$BENCH_DIR/runs.tsv" "$RESULTS" "$REPEAT"
    [ "$REPEAT" -gt 1 ] && echo "  (median of $REPEAT runs kept for each phase)" >&2
    return 0
}

# newsboat: a urls file, a config and a fresh cache, all in the run's folder.
run_newsboat() {
    local n=$1 dir=$BENCH_DIR/newsboat-$1
    rm -rf "$dir" && mkdir -p "$dir"
    for ((i = 0; i < n; i++)); do echo "http://$ADDR/feed/$i.xml"; done >"$dir/urls"
    printf 'reload-threads %s\nshow-read-feeds yes\nmax-items 0\n' "$CONCURRENCY" >"$dir/config"
    local count="python3 -c \"import sqlite3,sys; c=sqlite3.connect('$dir/cache.db'); print(c.execute('select count(*) from rss_item').fetchone()[0], 'items')\""
    local nb=(env HOME="$dir" XDG_CONFIG_HOME="$dir" XDG_DATA_HOME="$dir" newsboat
        -u "$dir/urls" -c "$dir/cache.db" -C "$dir/config" -x reload)
    measure newsboat "$n" cold "$count" -- "${nb[@]}"
    measure newsboat "$n" warm "$count" -- "${nb[@]}"
}

# rss2email: its own config and data file, mailing every new item to the local sink over SMTP.
run_r2e() {
    local n=$1 dir=$BENCH_DIR/r2e-$1
    rm -rf "$dir" && mkdir -p "$dir"
    {
        printf '[DEFAULT]\nto = bench@localhost\nfrom = r2e@localhost\nemail-protocol = smtp\n'
        printf 'smtp-server = 127.0.0.1:%s\nsmtp-ssl = False\nsmtp-auth = False\n' "$SMTP_PORT"
        for ((i = 0; i < n; i++)); do printf '\n[feed.farm-%d]\nurl = http://%s/feed/%d.xml\n' "$i" "$ADDR" "$i"; done
    } >"$dir/r2e.cfg"
    local before count
    before=$(wc -l <"$BENCH_DIR/smtp.count")
    count="echo \$((\$(wc -l <$BENCH_DIR/smtp.count) - before)) mails"
    measure rss2email "$n" cold "$count" -- env HOME="$dir" "$VENV/bin/r2e" -c "$dir/r2e.cfg" -d "$dir/r2e.json" run
    before=$(wc -l <"$BENCH_DIR/smtp.count")
    measure rss2email "$n" warm "$count" -- env HOME="$dir" "$VENV/bin/r2e" -c "$dir/r2e.cfg" -d "$dir/r2e.json" run
}

# ---------------------------------------------------------------------------------------------
# 4. Side by side
# ---------------------------------------------------------------------------------------------
for n in $SIZES; do
    say "N = $n"
    run_sigwatch "$n"
    if [ "${SKIP_PEERS:-0}" != 1 ]; then
        if [ -z "$NEWSBOAT_WHY" ]; then run_newsboat "$n"; else echo "  newsboat skipped: $NEWSBOAT_WHY" >&2; fi
        if [ -n "$R2E_WHY" ]; then
            echo "  rss2email skipped: $R2E_WHY" >&2
        elif [ "$n" -gt "$R2E_MAX" ]; then
            echo "  rss2email skipped at N=$n (R2E_MAX=$R2E_MAX)" >&2
        else
            run_r2e "$n"
        fi
    fi
done

# ---------------------------------------------------------------------------------------------
# 5. Scaling (sigwatch alone)
# ---------------------------------------------------------------------------------------------
say "scaling: sigwatch at $SCALE feeds, $ROUNDS rounds of one poll of each"
SCALED=$BENCH_DIR/scale.tsv
: >"$SCALED"
for ((r = 1; r <= ROUNDS; r++)); do
    for n in $SCALE; do sigwatch_once "$n" "$BENCH_DIR/scale-runs.tsv"; done
done
for n in $SCALE; do keep_median "$n" "$BENCH_DIR/scale-runs.tsv" "$SCALED" "$ROUNDS"; done
echo "  (median of $ROUNDS runs kept for each N and phase)" >&2

# ---------------------------------------------------------------------------------------------
# 6. Idle daemon
# ---------------------------------------------------------------------------------------------
IDLE=""
idle_n=1000
if [ -d "$BENCH_DIR/sigwatch-$idle_n" ]; then
    say "idle daemon: sigwatch run with the $idle_n-source config, after its polls"
    "$SIGWATCH" --config "$BENCH_DIR/sigwatch-$idle_n/sigwatch.toml" run >"$BENCH_DIR/daemon.log" 2>&1 &
    dpid=$!
    sleep 10
    IDLE=$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status" 2>/dev/null || echo "?")
    # Of which: its own memory, and pages of the binary and libraries mapped from disk (clean,
    # shared with the page cache).
    IDLE_ANON=$(awk '/^RssAnon/ { print $2 }' "/proc/$dpid/status" 2>/dev/null || echo "?")
    IDLE_FILE=$(awk '/^RssFile/ { print $2 }' "/proc/$dpid/status" 2>/dev/null || echo "?")
    kill -TERM "$dpid" 2>/dev/null || true
    wait "$dpid" 2>/dev/null || true
    echo "  idle sigwatch run: RSS $IDLE KiB after 10 s" >&2
fi

# ---------------------------------------------------------------------------------------------
# 7. Tables
# ---------------------------------------------------------------------------------------------
echo
echo "sigwatch bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "farm: 127.0.0.1, 50 items per feed; concurrency $CONCURRENCY (sigwatch per_host = concurrency; newsboat reload-threads)"
echo
awk -F'\t' -v sizes="$SIZES" '
    { key = $1 SUBSEP $2 SUBSEP $3; wall[key] = $4; cpu[key] = $5; rss[key] = $6; work[key] = $7; tools[$1] = 1 }
    function ratio(a, b) { return (b > 0) ? sprintf("%.1fx", a / b) : "-" }
    END {
        printf "| tool | N | poll | wall s | CPU s | peak RSS MiB | wall vs sigwatch | CPU vs sigwatch | work done |\n"
        printf "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
        n = split(sizes, S, " ")
        split("sigwatch newsboat rss2email", T, " ")
        for (i = 1; i <= n; i++) for (p = 1; p <= 2; p++) for (t = 1; t <= 3; t++) {
            phase = (p == 1) ? "cold" : "warm"
            k = T[t] SUBSEP S[i] SUBSEP phase; s = "sigwatch" SUBSEP S[i] SUBSEP phase
            if (!(k in wall)) continue
            printf "| %s | %s | %s | %.2f | %.2f | %.1f | %s | %s | %s |\n", T[t], S[i], phase, wall[k], cpu[k],
                rss[k] / 1024, ratio(wall[k], wall[s]), ratio(cpu[k], cpu[s]), work[k]
        }
    }' "$RESULTS"
echo
echo "Scaling (sigwatch alone, its own interleaved runs; cost relative to 1000 feeds):"
echo
awk -F'\t' -v scale="$SCALE" '
    $1 == "sigwatch" { key = $2 SUBSEP $3; wall[key] = $4; cpu[key] = $5; rss[key] = $6 }
    END {
        printf "| feeds | cold wall s | cold CPU s | cold peak RSS MiB | warm wall s | warm CPU s | cold wall / 1k | cold CPU / 1k |\n"
        printf "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        n = split(scale, S, " ")
        for (i = 1; i <= n; i++) {
            c = S[i] SUBSEP "cold"; w = S[i] SUBSEP "warm"; b = "1000" SUBSEP "cold"
            printf "| %s | %.2f | %.2f | %.1f | %.2f | %.2f | %s | %s |\n", S[i], wall[c], cpu[c], rss[c] / 1024,
                wall[w], cpu[w], (wall[b] > 0) ? sprintf("%.2fx", wall[c] / wall[b]) : "-",
                (cpu[b] > 0) ? sprintf("%.2fx", cpu[c] / cpu[b]) : "-"
        }
    }' "$SCALED"
# The same ratio round by round: a poll of 1,000 feeds takes half a second, and one sample of
# it moves by 15 % within minutes, so a single round's ratio says as much about the moment as
# about the code; the spread shows how much.
awk -F'\t' '
    $1 == "sigwatch" && $3 == "cold" && $2 == 1000 { one[++a] = $4 }
    $1 == "sigwatch" && $3 == "cold" && $2 == 10000 { ten[++b] = $4 }
    END {
        n = (a < b) ? a : b
        if (n == 0) exit
        for (i = 1; i <= n; i++) { r[i] = (one[i] > 0) ? ten[i] / one[i] : 0; line = line sprintf(" %.2f", r[i]) }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
        printf "\n10000 / 1000 feeds, cold wall, round by round:%s (median %.2f, range %.2f-%.2f)\n", line, r[int((n + 1) / 2)], r[1], r[n]
    }' "$BENCH_DIR/scale-runs.tsv"
if [ -n "$IDLE" ]; then
    echo
    mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
    echo "Idle daemon (sigwatch run, 1000 sources, 10 s after start): RSS $(mib "$IDLE") MiB" \
        "($(mib "$IDLE_ANON") MiB its own memory, $(mib "$IDLE_FILE") MiB mapped from files)"
fi
[ -z "$NEWSBOAT_WHY" ] || echo "newsboat not measured: $NEWSBOAT_WHY"
[ -z "$R2E_WHY" ] || echo "rss2email not measured: $R2E_WHY"
echo
echo "whole run: $(awk -v s="$(secs_since "$RUN_T0")" 'BEGIN { printf "%.1f", s / 60 }') minutes" \
    "(installs ${INSTALL_SECS:-0} s, build ${BUILD_SECS:-0} s)"
echo "raw results: $RESULTS; logs and time -v output in $BENCH_DIR"
