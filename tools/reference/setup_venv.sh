#!/usr/bin/env bash
# Creates the Python 3.11 virtual environment with the pinned TensorFlow pair that writes
# tests/golden/. Only needed to regenerate fixtures; the C++ build and tests never use Python.
#   bash tools/reference/setup_venv.sh [VENV_DIR]      (default: tools/reference/.venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-$here/.venv}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "need Python 3.11, got " + sys.version'
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
# PyTorch (CPU only) comes from Debian's python3-torch for /usr/bin/python3, not from the venv.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch
fi
echo "ready: $venv/bin/python $here/gen_golden.py"
