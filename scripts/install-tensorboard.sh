#!/usr/bin/env bash
# Installs TensorBoard (scripts/tensorboard-requirements.txt) from PyPI into a small virtual
# environment in the machine's cache, for the test that reads a run's event file back with
# TensorBoard's own reader; prints the environment's Python. Idempotent. Without PyPI it
# says so and exits 0: that test then reports SKIP.
#
# Environment: PIPELINE_TENSORBOARD_VENV overrides where the environment lives (default
# ~/.cache/pipeline/tensorboard, where the test looks).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/tensorboard-requirements.txt
venv=${PIPELINE_TENSORBOARD_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pipeline/tensorboard}
stamp=$venv/.pipeline-requirements

if [[ -f $stamp ]] && cmp -s "$stamp" "$requirements" && [[ -x $venv/bin/python ]]; then
  echo "install-tensorboard: already in $venv" >&2
  echo "$venv/bin/python"
  exit 0
fi
if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1; then
  echo "install-tensorboard: /usr/bin/python3 has no venv module; the TensorBoard test will skip" >&2
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
/usr/bin/python3 -m venv "$venv"
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$requirements" >&2; then
  echo "install-tensorboard: PyPI not reachable; the TensorBoard test will skip" >&2
  rm -rf "$venv"
  exit 0
fi
cp "$requirements" "$stamp"
echo "install-tensorboard: $("$venv/bin/python" -c 'import tensorboard; print("tensorboard", tensorboard.__version__)') in $venv" >&2
echo "$venv/bin/python"
