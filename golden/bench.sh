#!/usr/bin/env bash
# Times bertkit's forward next to PyTorch eager and ONNX Runtime on the same shapes and thread count,
# and prints one table (the one in formats/benchmarks.md).
#
#   golden/bench.sh                       # MiniLM and a bert-base-shaped model, 8×128 and 1×128, 2 threads
#   THREADS=1 SHAPES="8x128" MODELS=".cache/models/all-MiniLM-L6-v2" golden/bench.sh
#
# The bert-base-shaped model (12 layers, hidden 768, random weights: BertModel(BertConfig())) is made
# once with transformers into .cache/models/bert-base-random (git-ignored). Each measurement runs in its
# own process (so peak RSS is its own). The three backends take turns per shape, ROUNDS times (default
# 3), and the table keeps each backend's lowest median: on a shared machine, load from other processes
# then affects them alike and mostly drops out. Needs golden/.venv (golden/README.md) or
# PYTHON=/path/to/python.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
py=${PYTHON:-golden/.venv/bin/python}
threads=${THREADS:-2}
runs=${RUNS:-10}
rounds=${ROUNDS:-3}
shapes=${SHAPES:-"8x128 1x128"}
bertbase=.cache/models/bert-base-random
models=${MODELS:-"${BERTKIT_MINILM:-.cache/models/all-MiniLM-L6-v2} $bertbase"}

[ -x "$py" ] || { echo "error: no Python at $py (set PYTHON=..., see golden/README.md)" >&2; exit 1; }
if [[ " $models " == *" $bertbase "* && ! -f $bertbase/model.safetensors ]]; then
  echo "making $bertbase (random weights, BertConfig() defaults) ..." >&2
  "$py" - "$bertbase" <<'PY'
import os, sys, torch, transformers
torch.manual_seed(0)
out = sys.argv[1]
transformers.BertModel(transformers.BertConfig()).eval().save_pretrained(out + ".partial")
os.replace(out + ".partial", out)
PY
fi
echo "building bertkit (release) ..." >&2
swift build -c release --product bertkit 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] ' >&2
bk=.build/release/bertkit

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
for m in $models; do
  for s in $shapes; do
    b=${s%x*}; q=${s#*x}
    echo "round $round: $(basename "$m") ${b}×${q}, $threads threads ..." >&2
    "$bk" bench "$m" --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" --json \
      | sed "s|^{|{\"backend\":\"bertkit\",\"model\":\"$m\",|" >> "$results"
    "$py" golden/bench_reference.py "$m" --backend torch --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" 2>/dev/null >> "$results"
    "$py" golden/bench_reference.py "$m" --backend ort --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" 2>/dev/null >> "$results"
  done
done
done

"$py" - "$results" <<'PY'
import json, os, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Each backend's best round per model and shape, in first-seen order.
best = {}
for r in runs:
    k = (r["model"], r["batch"], r["seq"], r["backend"])
    if k not in best or r["medianMs"] < best[k]["medianMs"]:
        best[k] = r
rows = list(best.values())
rounds = max(sum(1 for r in runs if r["backend"] == b["backend"] and r["model"] == b["model"] and r["batch"] == b["batch"] and r["seq"] == b["seq"]) for b in rows)
print(f"(lowest median of {rounds} round{'s' if rounds > 1 else ''} per backend)\n")
print("| model | batch×seq | threads | backend | median ms | seq/s | GFLOPS | peak RSS MiB | vs PyTorch |")
print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    torch = next(x for x in rows if x["backend"] == "pytorch" and x["model"] == r["model"] and x["batch"] == r["batch"] and x["seq"] == r["seq"])
    print(f"| {os.path.basename(os.path.normpath(r['model']))} | {r['batch']}×{r['seq']} | {r['threads']} | {r['backend']} "
          f"| {r['medianMs']:.1f} | {r['sequencesPerSecond']:.1f} | {r['gflops']:.1f} | {r['peakRSSMiB']:.0f} "
          f"| {torch['medianMs'] / r['medianMs']:.2f}× |")
bk = next((x for x in rows if x["backend"] == "bertkit"), None)
if bk:
    print(f"\nbertkit BLAS core: {bk['blasCore']}, kernels: {bk['kernels']}; "
          + "; ".join(sorted({x['version'] for x in rows if 'version' in x})))
PY
