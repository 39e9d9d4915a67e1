#!/bin/sh
# Runs fuzz targets one after another for SECONDS each (default 60), each from its seed corpus
# (fuzz/corpus/<target>, read only) into a scratch corpus (fuzz/work/<target>, git-ignored), with
# its dictionary and input length cap, and prints one summary line per target. A crash or
# invariant failure stops that target and leaves the input in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh                 # every target, 60 s each (about 8 minutes with the build)
#   fuzz/run.sh 300 layer link  # the layer and link targets, 5 minutes each
#
# One process at a time (no -jobs/-workers): the machines this runs on have 2 shared cores.
set -u
cd "$(dirname "$0")"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-reference challenge token link manifest documents layer}

cargo +nightly fuzz build || exit 1
failed=0
for target in $targets; do
    case $target in
        reference) dict=reference.dict max_len=1100 ;;
        challenge) dict=challenge.dict max_len=4096 ;;
        link) dict=link.dict max_len=2048 ;;
        token) dict=json.dict max_len=4096 ;;
        manifest | documents) dict=json.dict max_len=8192 ;;
        layer) dict="" max_len=32768 ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    mkdir -p "work/$target"
    set -- -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
    [ -n "$dict" ] && set -- "$@" -dict="dicts/$dict"
    cargo +nightly fuzz run "$target" "work/$target" "corpus/$target" -- "$@" >"work/$target.log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "work/$target.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "work/$target.log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "work/$target.log" | tail -n 1)
    if [ "$status" -eq 0 ]; then
        echo "$target: ${execs:-?} executions (${rate:-?}/s), $cov, nothing found"
    else
        failed=1
        echo "$target: FAILED after ${execs:-?} executions; see fuzz/work/$target.log and fuzz/artifacts/$target/"
    fi
done
exit $failed
