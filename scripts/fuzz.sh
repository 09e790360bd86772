#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/), or those named as arguments, for
# FUZZ_SECONDS each (default 60), and prints executions, exec/s and crashes per target.
# Exits non-zero when a target crashed; its input is under fuzz/artifacts/<target>/.
#
# The seeds in fuzz/corpus/<target>/ are read, never written: the inputs a run finds
# go to a scratch directory (kept in FUZZ_CORPUS_DIR when set, removed otherwise).
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh request_data
#   FUZZ_SANITIZER=none scripts/fuzz.sh      # a toolchain without sanitizer support
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-address}
target_dir=${CARGO_TARGET_DIR:-$PWD/fuzz/target}
# cargo fuzz passes nightly-only flags (-Zsanitizer, sancov); this lets the stable
# toolchain accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

logs=$(mktemp -d)
scratch=${FUZZ_CORPUS_DIR:-$logs/corpus}
trap 'rm -rf "$logs"' EXIT INT TERM

failed=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target" "fuzz/artifacts/$target"
    log="$logs/$target.log"
    echo "fuzz.sh: $target for ${seconds}s"
    status=ok
    # The scratch directory comes first: libFuzzer writes new inputs to the first one.
    if ! cargo fuzz run --sanitizer "$sanitizer" --target-dir "$target_dir" "$target" \
        "$scratch/$target" "fuzz/corpus/$target" \
        -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        status="FAILED (crash: fuzz/artifacts/$target/; or build error: log above)"
        failed=1
        # The panic, else the end of the log (a build error, a sanitizer report).
        grep -A 8 -m 1 'panicked at' "$log" || tail -n 40 "$log"
        grep -A 2 -m 1 'Failing input' "$log" || true
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    summary+=("$(printf '%-14s %5ss %11s execs %7s exec/s  %s' \
        "$target" "$seconds" "${execs:-?}" "${rate:-?}" "$status")")
done

printf '%s\n' "${summary[@]}"
exit "$failed"
