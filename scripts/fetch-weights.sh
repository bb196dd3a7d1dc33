#!/usr/bin/env bash
# Downloads torchvision's ImageNet weights for the named backbones into the weights
# directory under the names Pretrained<ImageNet> looks for (README, "Pretrained weights"),
# checking each file against the SHA-256 prefix in torchvision's own file name. Needs a
# network (download.pytorch.org); files already present are left alone.
#
#   scripts/fetch-weights.sh resnet18 [mobilenet_v3_large ...] [--dir DIR]
#
# Names: resnet18 resnet34 resnet50 mobilenet_v2 mobilenet_v3_small mobilenet_v3_large
# (a backbone descriptor's weights_name). MobileNet v1 (timm's layout) is not on
# download.pytorch.org: use the file in ../shared/data or timm's own.
# Directory: --dir, else $PIPELINE_WEIGHTS_DIR, else $XDG_CACHE_HOME/pipeline/weights,
# else ~/.cache/pipeline/weights (where the library looks by default).
set -euo pipefail
declare -A files=(
  [resnet18]=resnet18-f37072fd.pth
  [resnet34]=resnet34-b627a593.pth
  [resnet50]=resnet50-11ad3fa6.pth
  [mobilenet_v2]=mobilenet_v2-7ebf99e0.pth
  [mobilenet_v3_small]=mobilenet_v3_small-047dcff4.pth
  [mobilenet_v3_large]=mobilenet_v3_large-5c1a4163.pth
)
dir=${PIPELINE_WEIGHTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pipeline/weights}
names=()
while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
if ((${#names[@]} == 0)); then
  echo "fetch-weights: name at least one of: ${!files[*]}" >&2
  exit 2
fi
mkdir -p "$dir"
for name in "${names[@]}"; do
  file=${files[$name]:-}
  if [[ -z $file ]]; then
    echo "fetch-weights: no download known for '$name' (known: ${!files[*]})" >&2
    exit 2
  fi
  target=$dir/$name.imagenet.pth
  if [[ -f $target ]]; then
    echo "fetch-weights: $target already there"
    continue
  fi
  url=https://download.pytorch.org/models/$file
  tmp=$target.tmp
  trap 'rm -f "$tmp"' EXIT
  echo "fetch-weights: $url -> $target"
  curl -fL --retry 3 -o "$tmp" "$url"
  want=${file##*-}; want=${want%.pth}
  got=$(sha256sum "$tmp" | cut -c1-${#want})
  if [[ $got != "$want" ]]; then
    echo "fetch-weights: $url: SHA-256 starts $got, torchvision's name says $want; not kept" >&2
    exit 1
  fi
  mv "$tmp" "$target"
  trap - EXIT
done
