#!/usr/bin/env bash
# Installs the pinned LibTorch 2.x (scripts/torch2-requirements.txt) from PyPI into a
# virtual environment kept in the machine's cache, and prints the environment's path.
# Idempotent: an environment already holding the pinned versions is reused as it is.
#
#   venv=$(bash scripts/install-torch2.sh)
#   cmake -S . -B build-torch2 -G Ninja \
#     -DCMAKE_PREFIX_PATH="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
#     -DPIPELINE_PYTHON="$venv/bin/python"
#
# The wheel is PyTorch's default Linux build: LibTorch with CUDA, which runs on the CPU
# when no GPU is present. Its CUDA libraries come as pip packages (about 4 GB in all).
# Environment: PIPELINE_TORCH2_VENV overrides where the environment lives; PYTHON, which
# interpreter makes it (default: python3 on PATH, else /usr/bin/python3).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/torch2-requirements.txt
pins=$(grep -v '^\s*#' "$requirements" | grep -v '^\s*$' | tr '\n' ' ')
tag=$(echo "$pins" | tr -c 'A-Za-z0-9.=\n' '_' | sed 's/==/-/g; s/_*$//')
venv=${PIPELINE_TORCH2_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pipeline/torch2/$tag}
stamp=$venv/.pipeline-requirements

if [[ -f $stamp ]] && cmp -s "$stamp" "$requirements" && [[ -x $venv/bin/python ]]; then
  echo "install-torch2: $pins already in $venv" >&2
  echo "$venv"
  exit 0
fi

python=${PYTHON:-}
if [[ -z $python ]]; then
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -m venv --help >/dev/null 2>&1; then
      python=$candidate
      break
    fi
  done
fi
if [[ -z $python ]]; then
  echo "install-torch2: no Python with the venv module found (apt-get install python3-venv)" >&2
  exit 1
fi

echo "install-torch2: installing $pins into $venv (with $($python --version 2>&1))" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/python" - >&2 <<'PY'
import torch, torchvision
print(f"install-torch2: torch {torch.__version__} (CUDA {torch.version.cuda}), "
      f"torchvision {torchvision.__version__}, cmake prefix {torch.utils.cmake_prefix_path}")
PY
cp "$requirements" "$stamp"
echo "$venv"
