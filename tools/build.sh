#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (root) to a result:
#   bash tools/build.sh example   installs what is missing, builds and runs the tutorial encoder
#                                 and the date translator (greedy + beam decoding, heatmaps)
#   bash tools/build.sh test      installs what is missing, builds everything, runs the test suite,
#                                 then runs the test programs again under every GEMM backend and
#                                 two threads (OpenBLAS, oneDNN, Eigen with OpenMP)
# Packages come from Debian only (idempotent: apt-get runs only when something is missing).
# BUILD_DIR overrides the build directory (default: build/ in the checkout).
set -euo pipefail
mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(cmake make g++ libeigen3-dev nlohmann-json3-dev libzip-dev libgtest-dev libbenchmark-dev
          libopenblas-dev libdnnl-dev libstb-dev clang libclang-rt-14-dev)
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
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
case "$mode" in
  example)
    cmake --build "$build" -j"$jobs" --target tutorial_encoder translate
    "$build/examples/tutorial_encoder"
    # Then decoding: dates to ISO with a model trained in TensorFlow, heatmaps in build/examples.
    "$build/examples/translate" --heatmap "$build/examples/attention"
    ;;
  test)
    cmake --build "$build" -j"$jobs"
    ctest --test-dir "$build" --output-on-failure -j"$jobs"
    BUILD_DIR="$build-fuzz" bash "$root/tools/fuzz.sh"  # libFuzzer harnesses, 10 s each
    # The golden suite must hold whatever the backend and thread count (BENCHMARKS.md). The
    # weight-file readers' tests run no product: they run only in the default build above.
    for config in OpenBLAS:OFF oneDNN:OFF Eigen:ON; do
      gemm=${config%:*} openmp=${config#*:}
      dir="$build-gemm-$gemm-openmp-$openmp"
      # SEQ2SEQ_GEMM_EIGEN_BELOW=0: even the golden cases' tiny products go to the backend.
      cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSEQ2SEQ_GEMM="$gemm" \
        -DSEQ2SEQ_OPENMP="$openmp" -DSEQ2SEQ_BUILD_EXAMPLES=OFF -DSEQ2SEQ_BUILD_BENCHMARKS=OFF \
        -DCMAKE_CXX_FLAGS=-DSEQ2SEQ_GEMM_EIGEN_BELOW=0
      cmake --build "$dir" -j"$jobs" --target seq2seq_product_tests
      SEQ2SEQ_NUM_THREADS=2 ctest --test-dir "$dir" --output-on-failure -j"$jobs" \
        -E '^consumer_|_NOT_BUILT$'
    done
    ;;
  *)
    echo "usage: bash tools/build.sh example|test" >&2
    exit 2
    ;;
esac
