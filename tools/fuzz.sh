#!/usr/bin/env bash
# libFuzzer harnesses of tests/fuzz (README.md there), built with clang, ASan and UBSan:
#   bash tools/fuzz.sh [run]     build, then run every harness for FUZZ_SECONDS (default 10) s,
#                                starting from its committed corpus and regressions (all replayed
#                                first); fails on any finding (crash, sanitizer report, leak,
#                                timeout, exception other than seq2seq::Error). tools/build.sh
#                                test runs this.
#   bash tools/fuzz.sh campaign  run each harness for FUZZ_RUNS (default 10000000) executions,
#                                niced, one at a time (the local campaigns of README.md)
#   bash tools/fuzz.sh merge     minimise corpus/<target>/ together with what the runs found
#                                (libFuzzer -merge=1 on edge coverage, -use_counters=0, which
#                                keeps the corpus small) and replace the committed corpus with it
# FUZZ_TARGETS selects harnesses (default: "safetensors npz shapes tf_checkpoint"). BUILD_DIR overrides the
# build directory (default: build-fuzz/ in the checkout); new inputs and crashers go there, never
# into the checkout (except with merge). Needs clang and libclang-rt-14-dev (tools/build.sh
# installs them).
set -euo pipefail
mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-safetensors npz shapes tf_checkpoint}
fuzz_dir=$root/tests/fuzz

# -O0 compiles 3x faster (CI's short runs), -O1 fuzzes 3x faster (campaigns); FUZZ_OPT overrides.
opt=-O1
[ "$mode" = run ] && opt=-O0
# The Eigen backend: every instruction the harnesses reach is instrumented (oneDNN's are not).
cmake -S "$fuzz_dir" -B "$build" -DCMAKE_CXX_COMPILER="${FUZZ_CXX:-clang++}" \
  -DSEQ2SEQ_FUZZ_OPT="${FUZZ_OPT:-$opt}" -DSEQ2SEQ_GEMM=Eigen >/dev/null
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets)

# -max_len: the committed inputs are all shorter; -timeout: a hang is a finding.
common=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
status=0
for t in $targets; do
  work=$build/work/$t  # the corpus libFuzzer writes to (the committed one is only read)
  mkdir -p "$work" "$build/artifacts"
  dirs=("$fuzz_dir/corpus/$t")
  [ -d "$fuzz_dir/regressions/$t" ] && dirs+=("$fuzz_dir/regressions/$t")
  exe=$build/fuzz_$t
  log=$build/fuzz_$t.log
  case "$mode" in
    run)
      echo "fuzz_$t: ${FUZZ_SECONDS:-10} s"
      if ! "$exe" "${common[@]}" -max_total_time="${FUZZ_SECONDS:-10}" \
           -artifact_prefix="$build/artifacts/$t-" "$work" "${dirs[@]}" >"$log" 2>&1; then
        status=1
        tail -n 60 "$log"
        echo "fuzz_$t: FINDING (log $log, input in $build/artifacts/)" >&2
      fi
      grep -E '^(#[0-9]+[[:space:]]+DONE|Done )|stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
      ;;
    campaign)
      echo "fuzz_$t: ${FUZZ_RUNS:-10000000} executions (log $log)"
      # With -jobs=1 libFuzzer runs the campaign in a child that logs to ./fuzz-0.log.
      (cd "$build" && rm -f fuzz-0.log &&
       nice -n 10 "$exe" "${common[@]}" -runs="${FUZZ_RUNS:-10000000}" -jobs=1 -workers=1 \
         -artifact_prefix="$build/artifacts/$t-" "$work" "${dirs[@]}" >/dev/null 2>&1) || status=1
      mv "$build/fuzz-0.log" "$log"
      grep -E '^(#[0-9]+[[:space:]]+DONE|Done )|stat::' "$log" || true
      ;;
    merge)
      merged=$build/merged/$t
      rm -rf "$merged" && mkdir -p "$merged"
      "$exe" -merge=1 -use_counters=0 "${common[@]}" "$merged" "$fuzz_dir/corpus/$t" "$work" >"$log" 2>&1 || { tail -n 30 "$log"; exit 1; }
      tail -n 1 "$log"
      # Seeds (seed_*) stay even when they add no coverage: they document the formats. The
      # merged files are named by their SHA-1, so a seed's copy is found by its hash.
      for seed in "$fuzz_dir/corpus/$t"/seed_*; do
        rm -f "$merged/$(sha1sum <"$seed" | cut -d' ' -f1)"
      done
      find "$fuzz_dir/corpus/$t" -type f ! -name 'seed_*' -delete
      cp -n "$merged"/* "$fuzz_dir/corpus/$t/"
      ;;
    *)
      echo "usage: bash tools/fuzz.sh [run|campaign|merge]" >&2
      exit 2
      ;;
  esac
done
exit $status
