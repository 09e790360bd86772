#!/usr/bin/env bash
# The benchmark: the demo next to a plain-poem baseline under wrk, the caches, the safe
# packer; the program is `cargo xtask bench` (xtask/src/bench/), this installs what it
# runs. The report is printed and written to target/bench/latest.txt.
#
#   scripts/bench.sh                                      # 7 rounds of wrk -t2 -c32 -d5s
#   BENCH_DURATION=3s BENCH_ROUNDS=1 scripts/bench.sh     # a quick look
#   BENCH_SNIPPETS=1 scripts/bench.sh                     # then the snippets example on SQLite and
#                                                         # PostgreSQL (target/bench/snippets.txt)
#
# Environment (`cargo xtask bench --help`): BENCH_DURATION, BENCH_THREADS,
# BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_MIXED_CONNECTIONS, BENCH_ALLOW_MISMATCH.
# BENCH_SNIPPETS=1 runs `cargo xtask bench-snippets` after it (its own defaults: 5 rounds
# of wrk -t1 -c16 -d3s; the variables above apply to it too when set), and installs
# PostgreSQL for it; BENCH_SNIPPETS_DATABASES=sqlite leaves PostgreSQL out.
set -euo pipefail
cd "$(dirname "$0")/.."
script=bench.sh
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
need wrk wrk
need redis-server redis-server
if [ "${BENCH_SNIPPETS:-0}" != 1 ]; then
    exec cargo xtask bench
fi
[[ "${BENCH_SNIPPETS_DATABASES:-postgres}" != *postgres* ]] || need_postgres
cargo xtask bench
exec cargo xtask bench-snippets
