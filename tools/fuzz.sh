#!/usr/bin/env bash
# Builds tally-fuzz (libFuzzer + AddressSanitizer, tools/TallyFuzz) and runs its targets on their seed
# corpora (tools/fuzz/corpus/<target>/), printing executions and exec/s per target:
#   tools/fuzz.sh [--seconds N] [--target NAME]... [--scratch-path DIR] [--artifacts DIR]
# --seconds N        run each target N seconds (default 30)
# --target NAME      run only NAME (repeatable): record json append command checkpoint proof
# --scratch-path DIR build there (default .build-fuzz, so the everyday .build is left as it is)
# --artifacts DIR    where crash, timeout and leak inputs are written (default .build-fuzz-artifacts)
# Exits 1 if any target crashed, hung (10 s per input), leaked or broke a property; the input that did
# it is in the artifacts folder: replay it with `TALLY_FUZZ_TARGET=NAME <scratch>/release/tally-fuzz FILE`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=30
targets=()
scratch=.build-fuzz
artifacts=.build-fuzz-artifacts
all=(record json append command checkpoint proof)
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --target) targets+=("$2"); shift 2 ;;
        --scratch-path) scratch="$2"; shift 2 ;;
        --artifacts) artifacts="$2"; shift 2 ;;
        *) echo "usage: tools/fuzz.sh [--seconds N] [--target NAME]... [--scratch-path DIR] [--artifacts DIR]" >&2
           exit 64 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for target in "${targets[@]}"; do
    [ -d "tools/fuzz/corpus/$target" ] || { echo "tools/fuzz.sh: no target $target (${all[*]})" >&2; exit 64; }
done

start=$(date +%s)
TALLY_FUZZ=1 swift build -c release --product tally-fuzz --scratch-path "$scratch" >&2
echo "tools/fuzz.sh: built tally-fuzz in $(($(date +%s) - start)) s" >&2
binary="$scratch/release/tally-fuzz"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
printf '%-11s %12s %10s %8s  %s\n' target executions exec/s corpus result
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    log="$work/$target.log"
    # The first folder collects new inputs (scratch); the seeds are only read. Swift's own crash
    # backtracer is off: it reads memory AddressSanitizer reports, burying the real finding.
    status=0
    SWIFT_BACKTRACE=enable=no TALLY_FUZZ_TARGET="$target" "$binary" "$work/$target" "tools/fuzz/corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work/$target" "tools/fuzz/corpus/$target" -type f | wc -l)
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        failed=1
        finding=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$log" | tail -1)
        result="FAILED (exit $status) ${finding:-see log}"
        cp "$log" "$artifacts/$target.log"
        grep -E "property violated|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY" "$log" | head -5 >&2 || true
    fi
    printf '%-11s %12s %10s %8s  %s\n' "$target" "${executions:-?}" "${rate:-?}" "$corpus" "$result"
done
exit "$failed"
