#!/usr/bin/env bash
# Load benchmark of the web view: a database of 1,000,000 items (100,000 with hits, 200
# sources, one item a minute back over two years, like benches/query.rs), `sigwatch serve` on
# it, and 100 concurrent clients on the stories page, with wrk (`apt-get install wrk`) or oha
# (`cargo install oha`). Prints the median and the 99th percentile of each page's latency.
#
#   bash bench/serve-load.sh            # ITEMS=1000000 CLIENTS=100 DURATION=20 (seconds a page) by default
#
# The database is made with SQL (the sqlite3 shell, `apt-get install sqlite3`) into the schema
# sigwatch creates, not by polling: polling a million items takes far longer and is what
# bench/compare.sh measures. sigwatch indexes the items with hits for search when it next opens
# the database for writing (the `unindexed` list a bulk load leaves). Figures: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-1000000}
CLIENTS=${CLIENTS:-100}
DURATION=${DURATION:-20}
dir=${BENCH_DIR:-target/bench-serve}
# BIN=path/to/sigwatch measures that binary instead of a fresh release build.
bin=${BIN:-target/release/sigwatch}

command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell: apt-get install sqlite3" >&2; exit 1; }
if command -v oha >/dev/null; then tool=oha; elif command -v wrk >/dev/null; then tool=wrk; else
  echo "needs oha (cargo install oha) or wrk (apt-get install wrk)" >&2; exit 1
fi
[ -n "${BIN:-}" ] || cargo build --release --quiet --bin sigwatch
mkdir -p "$dir"
cfg="$dir/sigwatch.toml"
db="$dir/sigwatch.db"
cat > "$cfg" <<'EOF'
[storage]
path = "sigwatch.db"
[watch.rare-earths]
terms = ["稀土"]
[watch.semiconductors]
terms = ["semiconductor"]
[watch.ai]
terms = ["artificial intelligence"]
[watch.photovoltaics]
terms = ["光伏"]
[watch.export-controls]
terms = ["export controls"]
EOF

if [ ! -s "$db" ] || [ "$(sqlite3 "$db" 'SELECT count(*) FROM items')" != "$ITEMS" ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  t0=$SECONDS
  # An empty poll makes the schema (and records a cycle, for /healthz).
  "$bin" --config "$cfg" -q poll >/dev/null
  sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
INSERT INTO sources(id, name, url, config_url, last_fetch, last_status, last_success)
SELECT i + 1, printf('source-%03d', i), printf('http://127.0.0.1:9/%03d.xml', i),
       printf('http://127.0.0.1:9/%03d.xml', i), unixepoch(), '200', unixepoch() FROM n;
-- Item i (id i + 1) is dated i minutes ago; one in ten carries a hit of one of five watches,
-- its term in the title; copies: the hit item at i % 20 = 10 joins the story of item i - 10.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $ITEMS - 1)
INSERT INTO items(id, source_id, uid, guid, link, title, summary, text, published, first_seen,
                  fingerprint, story_id, folded_into, similarity)
SELECT i + 1, (i / 5000) % 200 + 1, 'bench-' || i, 'bench-' || i, 'https://example.test/' || i,
       CASE WHEN i % 3 = 0 THEN '国务院发布关于进一步加强管理的通知 ' ELSE 'Ministry said trade talks would continue ' END
         || i || CASE WHEN i % 10 = 0 THEN ' ' || (CASE (i / 10) % 5 WHEN 0 THEN '稀土出口' WHEN 1 THEN 'semiconductor'
              WHEN 2 THEN 'artificial intelligence' WHEN 3 THEN '光伏' ELSE 'export controls' END) ELSE '' END,
       'officials said the market and policy and industry report would grow in the quarter',
       'officials said the market and policy and industry report would grow in the quarter, ' ||
         'with new rules for partners; 经济发展会议部署 ' || i,
       unixepoch() - i * 60, unixepoch() - i * 60, printf('%016x', i),
       CASE i % 20 WHEN 0 THEN i + 1 WHEN 10 THEN i - 9 END,
       CASE i % 20 WHEN 10 THEN i - 9 END,
       CASE i % 20 WHEN 10 THEN 0.83 END
FROM n;
INSERT INTO hits(item_id, watch, term, field, start, end, snippet, snippet_start, snippet_end,
                 watch_version, created, item_date, source_id, score, terms)
SELECT id, CASE ((id - 1) / 10) % 5 WHEN 0 THEN 'rare-earths' WHEN 1 THEN 'semiconductors'
              WHEN 2 THEN 'ai' WHEN 3 THEN 'photovoltaics' ELSE 'export-controls' END,
       'term', 'title', 0, 4, title, 0, 4, 'bench', published, published, source_id,
       1.0 + ((id / 10) % 7) * 0.25, '[]'
FROM items WHERE (id - 1) % 10 = 0;
INSERT INTO unindexed(item_id) SELECT item_id FROM hits;
COMMIT;
SQL
  # Opening for writing indexes the listed items for search (with sigwatch's own SQLite).
  "$bin" --config "$cfg" -q poll >/dev/null
  echo "filled $db: $(sqlite3 "$db" 'SELECT count(*) FROM items') items, $(sqlite3 "$db" 'SELECT count(*) FROM hits') hits in $((SECONDS - t0))s"
fi
# A fresh cycle, so /healthz is 200 while the benchmark runs.
"$bin" --config "$cfg" -q poll >/dev/null

log="$dir/serve.log"
"$bin" --config "$cfg" serve --listen 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
addr=$(sed -n 's#.*listening on http://\([^/]*\)/.*#\1#p' "$log" | head -1)
[ -n "$addr" ] || { cat "$log" >&2; exit 1; }
echo "serving $db on $addr; $tool, $CLIENTS clients, ${DURATION}s a page"
curl -fsS "http://$addr/healthz" >/dev/null && echo "healthz: ok"

run() { # name path
  local url="http://$addr$2"
  curl -fsS -o /dev/null "$url"
  if [ "$tool" = oha ]; then
    oha --no-tui -c "$CLIENTS" -z "${DURATION}s" "$url" > "$dir/load.txt"
    med=$(sed -n 's/.*50.00% in \([0-9.]*\) secs.*/\1/p' "$dir/load.txt" | awk '{printf "%.1f ms", $1 * 1000}')
    p99=$(sed -n 's/.*99.00% in \([0-9.]*\) secs.*/\1/p' "$dir/load.txt" | awk '{printf "%.1f ms", $1 * 1000}')
    rps=$(sed -n 's/.*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$dir/load.txt")
  else
    wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --timeout 10s --latency "$url" > "$dir/load.txt"
    med=$(awk '$1 == "50%" {print $2}' "$dir/load.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$dir/load.txt")
    rps=$(awk '/^Requests\/sec/ {print $2}' "$dir/load.txt")
  fi
  printf '%-34s median %-10s p99 %-10s %s req/s\n' "$1" "$med" "$p99" "$rps"
}
run "stories, last 7 days (default)" "/"
run "stories, last 30 days" "/?days=30"
run "stories, highest first, 7 days" "/?sort=score"
run "stories, watch ai, 30 days" "/?watch=ai&days=30"
run "search 稀土出口, 30 days" "/?q=%E7%A8%80%E5%9C%9F%E5%87%BA%E5%8F%A3&days=30"
