#!/usr/bin/env bash
# Times `bertkit convert` of all-MiniLM-L6-v2 (safetensors → .bkm, f32, release build) against `cp`
# of the same weights file, in the same run, and reports peak RSS of each.
# Usage: golden/bench-convert.sh [RUNS]   (BERTKIT_MINILM=/path overrides the model folder)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
minilm=${BERTKIT_MINILM:-$root/.cache/models/all-MiniLM-L6-v2}
runs=${1:-10}
weights=$minilm/model.safetensors
[ -f "$weights" ] || { echo "no $weights — run golden/fetch-minilm.sh" >&2; exit 2; }

(cd "$root" && swift build -c release --product bertkit >&2)
bin=$(cd "$root" && swift build -c release --show-bin-path)/bertkit

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$weights" > /dev/null  # warm the page cache for every command alike
# Each run starts after `sync`, so no command waits on the writeback of an earlier run's output.

convert="$bin convert $minilm $tmp/out.bkm --force"
copy="cp $weights $tmp/copy.safetensors"
# bertkit fsyncs its output before renaming it into place; cp does not. Also time cp + fsync.
copysync="cp $weights $tmp/copy.safetensors && sync $tmp/copy.safetensors"

echo "model: $minilm ($(stat -c %s "$weights") bytes)"
echo "bertkit: $bin ($("$bin" --version))"
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 2 --runs "$runs" --export-json "$tmp/times.json" \
        --prepare "rm -f $tmp/out.bkm $tmp/copy.safetensors; sync" \
        -n cp "$copy" -n "cp+fsync" "$copysync" -n "bertkit convert" "$convert"
    python3 - "$tmp/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
cp, conv = r["cp"]["mean"], r["bertkit convert"]["mean"]
print(f"mean: cp {cp*1000:.1f} ms, cp+fsync {r['cp+fsync']['mean']*1000:.1f} ms, bertkit convert {conv*1000:.1f} ms"
      f" -> convert / cp = {conv/cp:.2f}x (target <= 2x), convert / (cp+fsync) = {conv/r['cp+fsync']['mean']:.2f}x")
PY
else
    for name in cp "cp+fsync" "bertkit convert"; do
        case $name in cp) cmd=$copy ;; "cp+fsync") cmd=$copysync ;; *) cmd=$convert ;; esac
        start=$(date +%s%N)
        for _ in $(seq "$runs"); do rm -f "$tmp/out.bkm" "$tmp/copy.safetensors"; sync; sh -c "$cmd"; done
        echo "$name: $(( ($(date +%s%N) - start) / runs / 1000000 )) ms mean over $runs runs"
    done
fi

rss() { /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
rm -f "$tmp/out.bkm" "$tmp/copy.safetensors"
echo "peak RSS: cp $(rss "$copy") KiB, bertkit convert $(rss "$convert") KiB"
