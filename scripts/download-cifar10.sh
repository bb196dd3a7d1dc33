#!/usr/bin/env bash
# Downloads the official CIFAR-10 binary release and unpacks it into DIR (default:
# ./data), giving DIR/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin and
# batches.meta.txt. Then run an experiment with `--data-dir DIR` or PIPELINE_DATA_DIR=DIR.
set -euo pipefail

dir=${1:-data}
url=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
md5=c32a1d4ab5d03f1284b67883e8d87530   # published on https://www.cs.toronto.edu/~kriz/cifar.html

mkdir -p "$dir"
archive="$dir/cifar-10-binary.tar.gz"
if [[ ! -f $archive ]]; then
  echo "download-cifar10: fetching $url"
  curl -fL --retry 3 -o "$archive.part" "$url"
  mv "$archive.part" "$archive"
fi
if command -v md5sum >/dev/null; then
  echo "$md5  $archive" | md5sum -c --quiet - || {
    echo "download-cifar10: checksum mismatch for $archive (delete it and retry)" >&2
    exit 1
  }
fi
tar xzf "$archive" -C "$dir"
echo "download-cifar10: done; use --data-dir $dir (holds cifar-10-batches-bin/)"
