#!/usr/bin/env bash
# Builds and tests the library against the pinned LibTorch 2.x (scripts/torch2-requirements.txt,
# PyTorch's wheel from PyPI: LibTorch with CUDA, run on the CPU when no GPU is present),
# in build-torch2/, with PyPI's matching torchvision as the parity oracle. Ends with
# ctest's summary. Arguments are passed to ctest (e.g. -R parity).
#
#   bash scripts/install-deps.sh && bash scripts/test-torch2.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=$(bash scripts/install-torch2.sh)
torch_dir=$("$venv/bin/python" -c 'import torch, os; print(os.path.dirname(torch.__file__))')
cmake -S . -B build-torch2 -G Ninja \
  -DCMAKE_PREFIX_PATH="$torch_dir/share/cmake" \
  -DPIPELINE_PYTHON="$venv/bin/python"
cmake --build build-torch2
ctest --test-dir build-torch2 --output-on-failure -j2 "$@"
