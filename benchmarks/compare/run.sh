#!/usr/bin/env bash
# Side-by-side comparison of this library with its peers (TensorFlow 2.15 + TFA, PyTorch, oneDNN,
# ONNX Runtime's AttnLSTM) at the same shapes and weights. Not run by CI. See README.md here.
#
#   bash benchmarks/compare/run.sh [--build DIR] [--gemm BACKEND] [run_compare.py options]
#
#   --build DIR      build directory, virtual environment, case files, outputs, logs
#                    (default: $SEQ2SEQ_COMPARE_BUILD or /tmp/seq2seq-compare)
#   --gemm BACKEND   passed to CMake as -DSEQ2SEQ_GEMM=BACKEND (the library's GEMM backend;
#                    default auto, as a user's build: oneDNN when libdnnl-dev is installed)
#   anything else    run_compare.py: --quick, --threads 1,2, --rounds 5, --cases REGEX...,
#                    --peers ours,onednn,tf,torch,ort, --results-dir DIR, --tol 1e-4
#
# Idempotent: installs the Debian packages that are missing (as root, or through sudo), creates
# the virtual environment once (again when requirements.txt changes), rebuilds the C++ peers
# incrementally, then runs the driver.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${SEQ2SEQ_COMPARE_BUILD:-/tmp/seq2seq-compare}
gemm=auto  # the library's default: oneDNN when libdnnl-dev is installed
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --gemm) gemm=$2; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
mkdir -p "$build"
build=$(cd "$build" && pwd)

# 1. Debian packages: toolchain, library dependencies, oneDNN, PyTorch (CPU), venv support.
# Debian's torch calls whichever libblas.so.3 is the system's alternative: alone, that is the
# reference BLAS (about 40x slower at B=64); OpenBLAS takes the alternative once installed.
packages=(cmake g++ libeigen3-dev nlohmann-json3-dev libzip-dev libdnnl-dev python3-torch
          libopenblas0-pthread python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# 2. Virtual environment with the pinned Python peers (Python 3.11, as TF 2.15 needs <= 3.11).
venv=$build/venv
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 /usr/bin/python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate
      break
    fi
  done
fi
[ -n "$python" ] || { echo "need Python 3.11 for tensorflow-cpu 2.15" >&2; exit 1; }
stamp=$venv/.requirements.sha256
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi

# 3. The C++ peers (ours with -O3 -march=native, oneDNN).
# SEQ2SEQ_GEMM always given: a cached value from an earlier run must not stay in force.
cmake -S "$here" -B "$build/build" -DCMAKE_BUILD_TYPE=Release -DSEQ2SEQ_GEMM="$gemm" >/dev/null
cmake --build "$build/build" -j "$(nproc)"

# 4. The comparison.
exec "$venv/bin/python" "$here/run_compare.py" --build "$build/build" --python "$venv/bin/python" \
  --torch-python /usr/bin/python3 "${pass[@]}"
