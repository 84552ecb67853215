#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (root) to a result:
#   bash tools/build.sh example   installs what is missing, builds and runs the tutorial encoder
#                                 and the date translator (greedy + beam decoding, heatmaps)
#   bash tools/build.sh docs      installs what is missing (Doxygen, MkDocs, Chromium), builds the
#                                 documentation site into build/docs/site (tools/docs/build_site.sh:
#                                 fails on an undocumented public name or a broken link) and
#                                 renders two of its pages to PNG in build/docs/screenshots
#   bash tools/build.sh test      installs what is missing, builds everything (GCC, -Werror, the
#                                 default GEMM backend: oneDNN), runs the test suite, fuzzes each
#                                 file reader and the shape checks for 10 s, then runs again: the
#                                 whole suite built by Clang with -Werror under AddressSanitizer +
#                                 UndefinedBehaviorSanitizer (Eigen alone, OpenMP, two threads);
#                                 the threaded tests under ThreadSanitizer (GCC, no OpenMP); the
#                                 heap-counting tests on Eigen alone; the test programs under the
#                                 oneDNN (the default build again) and OpenBLAS GEMM backends at
#                                 two threads, every product on the backend; and the docs. Prints
#                                 each stage's time at the end.
# Every configuration is a preset of CMakePresets.json (release, asan-ubsan, tsan, gemm-eigen,
# gemm-openblas), so that the presets users build with are the ones tested.
# Packages come from Debian only (idempotent: apt-get runs only when something is missing).
# BUILD_DIR overrides the build directory (default: build/ in the checkout).
set -euo pipefail
mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(cmake make g++ libeigen3-dev nlohmann-json3-dev libzip-dev libgtest-dev libbenchmark-dev
          libopenblas-dev libdnnl-dev libstb-dev libsnappy-dev pkgconf)
# The fuzzing and sanitizer stages of `test` build with Clang, whose sanitizer, libFuzzer and
# OpenMP runtimes are packages of their own (GCC's come with g++).
[ "$mode" != test ] || packages+=(clang libclang-rt-14-dev libomp-14-dev)
# The documentation: Doxygen (API), MkDocs with the Material theme (guide), Chromium (renders it).
[ "$mode" != test ] && [ "$mode" != docs ] || packages+=(doxygen mkdocs mkdocs-material chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
# Stage timings, printed when `test` ends.
timings=()
stage_start=$SECONDS
stage_done() {
  timings+=("$(printf '%-44s %4d s' "$1" $((SECONDS - stage_start)))")
  stage_start=$SECONDS
}
# The project's own programs build with -Werror when testing (the tests always do).
werror=OFF
[ "$mode" != test ] || werror=ON
cmake -S "$root" --preset release -B "$build" -DSEQ2SEQ_WERROR=$werror
case "$mode" in
  docs)
    bash "$root/tools/docs/build_site.sh" "$build"
    ;;
  example)
    cmake --build "$build" -j"$jobs" --target tutorial_encoder translate
    "$build/examples/tutorial_encoder"
    # Then decoding: dates to ISO with a model trained in TensorFlow, heatmaps in build/examples.
    "$build/examples/translate" --heatmap "$build/examples/attention"
    ;;
  test)
    cmake --build "$build" -j"$jobs"
    ctest --test-dir "$build" --output-on-failure -j"$jobs"
    stage_done "default (GCC, Release)"

    # The same build (its backend is oneDNN, the default) at two threads, every product of the
    # golden cases on the backend: the tiny ones too (SEQ2SEQ_GEMM_EIGEN_BELOW=0, read by the
    # test programs: tests/threads_env.cpp).
    SEQ2SEQ_NUM_THREADS=2 SEQ2SEQ_GEMM_EIGEN_BELOW=0 \
      ctest --test-dir "$build" --output-on-failure -j"$jobs" -L '^product$'
    stage_done "GEMM oneDNN, 2 threads"

    bash "$root/tools/docs/build_site.sh" "$build"
    # The presets no stage below builds must still configure.
    for preset in debug gemm-onednn bench; do
      cmake -S "$root" --preset "$preset" -B "$build-preset-$preset" > /dev/null
    done
    stage_done "docs (Doxygen, MkDocs, Chromium), presets"

    BUILD_DIR="$build-fuzz" bash "$root/tools/fuzz.sh"  # libFuzzer harnesses, 10 s each
    stage_done "fuzzing (Clang, libFuzzer)"

    # Clang, -Werror, AddressSanitizer + UndefinedBehaviorSanitizer: every test program, example
    # and benchmark builds; every test runs (the consumer builds ran above: they build their own
    # projects with the system compiler, untouched by these flags). Any finding fails its test.
    # The same build is the Eigen-only (header-only) backend's OpenMP run at two threads (Eigen's
    # threaded GEMM, the library's parallel loops), so that every instruction is instrumented.
    # -O0: it compiles in half the time of -O1 and its tests still take under a minute.
    dir="$build-clang-asan-ubsan"
    cmake -S "$root" --preset asan-ubsan -B "$dir"
    cmake --build "$dir" -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
      UBSAN_OPTIONS=print_stacktrace=1 SEQ2SEQ_NUM_THREADS=2 \
      ctest --test-dir "$dir" --output-on-failure -j"$jobs" \
      -E '^consumer_|^example_translate_heldout_safetensors$'
    stage_done "Clang -Werror, ASan+UBSan, OpenMP"

    # ThreadSanitizer on the programs that start threads, shared objects across std::threads
    # (test_thread_safety) included. Without OpenMP: libgomp is not instrumented.
    # The stages below build only some test programs: they skip the consumer builds, the
    # compile-fail tests and README.md's and the guide's blocks (which the default and Clang
    # stages ran), and the tests of programs they do not build.
    not_rerun='^consumer_|^compile_fail_|^readme_block_|^guide_|_NOT_BUILT$'
    dir="$build-tsan"
    cmake -S "$root" --preset tsan -B "$dir" -DSEQ2SEQ_BUILD_EXAMPLES=OFF \
      -DSEQ2SEQ_BUILD_BENCHMARKS=OFF
    cmake --build "$dir" -j"$jobs" --target seq2seq_threaded_tests
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
      ctest --test-dir "$dir" --output-on-failure -j"$jobs" -E "$not_rerun"
    stage_done "GCC, TSan (threaded tests)"

    # The Eigen-only build (no GEMM library), optimised and without sanitizers: the tests that
    # count heap allocations run here (under oneDNN and OpenBLAS they skip: those libraries
    # allocate inside their GEMMs; sanitizers own malloc).
    dir="$build-gemm-Eigen"
    cmake -S "$root" --preset gemm-eigen -B "$dir" -DSEQ2SEQ_BUILD_EXAMPLES=OFF \
      -DSEQ2SEQ_BUILD_BENCHMARKS=OFF
    cmake --build "$dir" -j"$jobs" --target seq2seq_alloc_tests
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" -E "$not_rerun"
    stage_done "GEMM Eigen alone, heap counts"

    # The golden suite must hold whatever the backend and thread count (BENCHMARKS.md; Eigen with
    # OpenMP ran above, under the sanitizers; oneDNN at one and two threads in the default build).
    # OpenBLAS: the programs that run products, every product on the backend, two threads.
    dir="$build-gemm-OpenBLAS"
    cmake -S "$root" --preset gemm-openblas -B "$dir" -DSEQ2SEQ_BUILD_EXAMPLES=OFF \
      -DSEQ2SEQ_BUILD_BENCHMARKS=OFF
    cmake --build "$dir" -j"$jobs" --target seq2seq_product_tests
    SEQ2SEQ_NUM_THREADS=2 SEQ2SEQ_GEMM_EIGEN_BELOW=0 \
      ctest --test-dir "$dir" --output-on-failure -j"$jobs" -L '^product$'
    stage_done "GEMM OpenBLAS, 2 threads"
    echo "stage times (s):"
    printf '  %s\n' "${timings[@]}"
    ;;
  *)
    echo "usage: bash tools/build.sh example|docs|test" >&2
    exit 2
    ;;
esac
