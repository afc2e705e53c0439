#!/usr/bin/env bash
# Fuzzes decode → parse → normalize → match for SECONDS (default 600), seeded from the shared
# corpus when it is beside the repository. Needs cargo-fuzz (`cargo install cargo-fuzz`); the
# one stable toolchain builds it with RUSTC_BOOTSTRAP=1. Crashes land in fuzz/artifacts/;
# copy each into tests/fuzz-regressions/ so `cargo test` keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
mkdir -p corpus/pipeline
if [ -d ../../shared/corpus ]; then
    find ../../shared/corpus -type f \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.html' -o -name '*.json' \) -size -64k |
        head -400 | while read -r f; do cp "$f" "corpus/pipeline/$(md5sum <"$f" | cut -c1-16)"; done ||
        true # find is cut short by head (SIGPIPE) once 400 files are listed
fi
RUSTC_BOOTSTRAP=1 cargo fuzz run pipeline corpus/pipeline -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
