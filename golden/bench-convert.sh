#!/usr/bin/env bash
# Times `bertkit convert` of all-MiniLM-L6-v2 (safetensors → .bkm and that .bkm → safetensors, f32,
# release build) against `cp` of the same file, in the same run, and reports peak RSS of each.
# Each cp is timed bare, with an fsync, and with all of the durability convert gives (a temporary
# name, fsync, rename, fsync of the folder).
# Usage: golden/bench-convert.sh [RUNS]   (BERTKIT_MINILM=/path overrides the model folder; BERTKIT=/path/bertkit
# times that binary instead of building one)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
minilm=${BERTKIT_MINILM:-$root/.cache/models/all-MiniLM-L6-v2}
runs=${1:-10}
weights=$minilm/model.safetensors
[ -f "$weights" ] || { echo "no $weights — run golden/fetch-minilm.sh" >&2; exit 2; }

if [ -n "${BERTKIT:-}" ]; then
  bin=$BERTKIT  # time that binary instead of building one
else
  (cd "$root" && swift build -c release --product bertkit >&2)
  bin=$(cd "$root" && swift build -c release --show-bin-path)/bertkit
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$weights" > /dev/null  # warm the page cache for every command alike
# Each run starts after `sync`, so no command waits on the writeback of an earlier run's output.

convert="$bin convert $minilm $tmp/out.bkm --force"
copy="cp $weights $tmp/copy.safetensors"
# bertkit fsyncs its output before renaming it into place; cp does not. Also time cp + fsync, and
# cp with every step of bertkit's writer.
copysync="cp $weights $tmp/copy.safetensors && sync $tmp/copy.safetensors"
durable() { echo "cp $1 $tmp/copy.tmp && sync $tmp/copy.tmp && mv $tmp/copy.tmp $2 && sync $tmp"; }
copydurable=$(durable "$weights" "$tmp/copy.safetensors")
# The other direction, from a .bkm made once.
"$bin" convert "$minilm" "$tmp/source.bkm" > /dev/null 2>&1
back="$bin convert $tmp/source.bkm $tmp/out.safetensors --force"
copybkm="cp $tmp/source.bkm $tmp/copy.bkm"
copybkmdurable=$(durable "$tmp/source.bkm" "$tmp/copy.bkm")

echo "model: $minilm ($(stat -c %s "$weights") bytes)"
echo "bertkit: $bin ($("$bin" --version))"
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 2 --runs "$runs" --export-json "$tmp/times.json" \
        --prepare "rm -f $tmp/out.bkm $tmp/out.safetensors $tmp/copy.safetensors $tmp/copy.bkm $tmp/copy.tmp; sync" \
        -n cp "$copy" -n "cp+fsync" "$copysync" -n "cp durable" "$copydurable" -n "bertkit convert" "$convert" \
        -n "cp .bkm" "$copybkm" -n "cp .bkm durable" "$copybkmdurable" -n "bertkit convert .bkm → safetensors" "$back"
    python3 - "$tmp/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ms = lambda name, k="median": r[name][k] * 1000
print("| command | median ms | min ms | convert / this |")
print("| --- | ---: | ---: | ---: |")
for name, conv in [("cp", "bertkit convert"), ("cp+fsync", "bertkit convert"), ("cp durable", "bertkit convert"),
                   ("bertkit convert", None), ("cp .bkm", "bertkit convert .bkm → safetensors"),
                   ("cp .bkm durable", "bertkit convert .bkm → safetensors"), ("bertkit convert .bkm → safetensors", None)]:
    ratio = f"{r[conv]['median'] / r[name]['median']:.2f}×" if conv else "—"
    print(f"| {name} | {ms(name):.1f} | {ms(name, 'min'):.1f} | {ratio} |")
PY
else
    for name in cp "cp+fsync" "bertkit convert"; do
        case $name in cp) cmd=$copy ;; "cp+fsync") cmd=$copysync ;; *) cmd=$convert ;; esac  # safetensors → .bkm only
        start=$(date +%s%N)
        for _ in $(seq "$runs"); do rm -f "$tmp/out.bkm" "$tmp/copy.safetensors"; sync; sh -c "$cmd"; done
        echo "$name: $(( ($(date +%s%N) - start) / runs / 1000000 )) ms mean over $runs runs"
    done
fi

rss() { /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
rm -f "$tmp/out.bkm" "$tmp/copy.safetensors" "$tmp/out.safetensors"
echo "peak RSS: cp $(rss "$copy") KiB, bertkit convert $(rss "$convert") KiB, .bkm → safetensors $(rss "$back") KiB"
