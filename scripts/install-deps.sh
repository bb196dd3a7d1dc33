#!/usr/bin/env bash
# Installs everything the pipeline library, its examples and its tests need on Debian
# bookworm, then TensorBoard's reader for the event-file test (scripts/install-tensorboard.sh,
# from PyPI; without PyPI that one test skips). Idempotent: packages already present are
# left alone, and apt is only asked for what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU)
  libgloo-dev             # Gloo headers: c10d's Gloo process group (Distributed<DDP> on CPUs)
  libboost-dev            # Boost.Hana
  librange-v3-dev
  doctest-dev
  libcli11-dev
  nlohmann-json3-dev
  libfmt-dev
  libstb-dev
  libturbojpeg0-dev       # libjpeg-turbo's TurboJPEG: decodes JPEG (Load<ImageFolder<...>>, classify)
  zlib1g-dev
  dataset-fashion-mnist   # the quick start's embedded default data
  python3-torchvision     # parity oracle for the backbone tests
  python3-pil             # CIFAR-10 JPEG -> binary converter (shared data)
  python3-venv            # the environments of TensorBoard's reader and LibTorch 2.x
  clang-format
  clang-14 libclang-rt-14-dev   # libFuzzer target of the safetensors parser (PIPELINE_BUILD_FUZZ)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi
bash "$(dirname "${BASH_SOURCE[0]}")/install-tensorboard.sh" >/dev/null
