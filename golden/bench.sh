#!/usr/bin/env bash
# Times bertkit's forward next to PyTorch eager, ONNX Runtime (plain and with its transformer
# fusions), OpenVINO and CTranslate2 on the same shapes and thread count, and prints one table (the
# one in formats/benchmarks.md).
#
#   golden/bench.sh                       # MiniLM and a bert-base-shaped model, batch 1 and 8 × seq 32, 128
#                                         # and 512, 2 threads, every backend
#   SHAPES="1x128 8x128" MODELS=".cache/models/all-mpnet-base-v2 .cache/models/roberta-base-random" golden/bench.sh
#                                         # the families: the real MPNet (golden/fetch-mpnet.sh) and a
#                                         # random roberta-base shape (made once)
#   THREADS=1 SHAPES="8x128" MODELS=".cache/models/all-MiniLM-L6-v2" BACKENDS="torch ort" golden/bench.sh
#   TRAIN=1 golden/bench.sh               # one training step at 8×128, bertkit vs PyTorch, dropout on and off
#   TRAIN=1 TASKS="sequence-classification masked-lm" golden/bench.sh   # the step of each task's head
#   BERTKIT=/tmp/bk-rel/release/bertkit ...  # time that binary instead of building .build/release/bertkit
#   TRAIN=1 DROPOUTS=dropout ...           # dropout on only (default "dropout no-dropout")
#
# TASKS (bertkit's --task names; "all" = every head) runs `bertkit bench --train --task T` and
# `golden/bench_reference.py --train --task T` on a model with that head: MODEL's encoder under
# BertFor<T> with a new head as transformers initialises it (torch.manual_seed(0)), made once with
# save_pretrained into .cache/models/train-bench/NAME/T (git-ignored). The tasks take turns inside
# each round, like the backends. bertkit's training JSON has no CPU time: the script takes the
# process's user+sys time (/usr/bin/time) of the timed run, less that of a --runs 1 run made once
# per model, task and dropout (same load and warm-up), over RUNS-1: CPU ms per step.
#
# The bert-base-shaped model (12 layers, hidden 768, random weights: BertModel(BertConfig())) is made
# once with transformers into .cache/models/bert-base-random (git-ignored). Each measurement runs in its
# own process (so peak RSS is its own). The backends take turns per shape, ROUNDS times (default 3),
# and the table keeps each backend's lowest median: on a shared machine, load from other processes
# then affects them alike and mostly drops out. Needs golden/.venv (golden/README.md) or
# PYTHON=/path/to/python.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
py=${PYTHON:-golden/.venv/bin/python}
threads=${THREADS:-2}
runs=${RUNS:-10}
rounds=${ROUNDS:-3}
train=${TRAIN:-0}
if [ "$train" = 1 ]; then shapes=${SHAPES:-8x128}; else shapes=${SHAPES:-"1x32 1x128 1x512 8x32 8x128 8x512"}; fi
# golden/bench_reference.py's --backend names, run after bertkit in this order.
backends=${BACKENDS:-"torch ort ort-fused openvino ct2"}
bertbase=.cache/models/bert-base-random
tasks=${TASKS:-}
dropouts=${DROPOUTS:-"dropout no-dropout"}  # TRAIN=1: bertkit's flags, one run each
[ "$tasks" = all ] && tasks="sequence-classification token-classification question-answering masked-lm multiple-choice next-sentence pre-training"
models=${MODELS:-"${BERTKIT_MINILM:-.cache/models/all-MiniLM-L6-v2} $bertbase"}

[ -x "$py" ] || { echo "error: no Python at $py (set PYTHON=..., see golden/README.md)" >&2; exit 1; }
# The random base-shaped models (git-ignored, made once): bert-base (BertConfig() defaults) and
# roberta-base (RobertaConfig with roberta-base's vocabulary, 514 positions, one token type).
for m in $models; do
  case "$(basename "$m")" in bert-base-random|roberta-base-random) ;; *) continue ;; esac
  [ -f "$m/model.safetensors" ] && continue
  echo "making $m (random weights) ..." >&2
  "$py" - "$m" <<'PY'
import os, sys, torch, transformers
torch.manual_seed(0)
out = sys.argv[1]
if os.path.basename(out) == "bert-base-random":
    model = transformers.BertModel(transformers.BertConfig())
else:
    model = transformers.RobertaModel(transformers.RobertaConfig(
        vocab_size=50265, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2))
model.eval().save_pretrained(out + ".partial")
os.replace(out + ".partial", out)
PY
done
# Each model under each task's head (TASKS): MODEL's weights, a new head, saved once.
task_model() { echo ".cache/models/train-bench/$(basename "$(realpath "$1")")/$2"; }
if [ "$train" = 1 ] && [ -n "$tasks" ]; then
  missing=()
  for m in $models; do for t in $tasks; do
    [ -f "$(task_model "$m" "$t")/config.json" ] || missing+=("$m" "$t" "$(task_model "$m" "$t")")
  done; done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "making $((${#missing[@]} / 3)) head model(s) under .cache/models/train-bench ..." >&2
    "$py" - "${missing[@]}" <<'PY'
import os, shutil, sys, torch, transformers
CLASSES = {"sequence-classification": "BertForSequenceClassification", "token-classification": "BertForTokenClassification",
           "question-answering": "BertForQuestionAnswering", "masked-lm": "BertForMaskedLM",
           "multiple-choice": "BertForMultipleChoice", "next-sentence": "BertForNextSentencePrediction",
           "pre-training": "BertForPreTraining"}
a = sys.argv[1:]
for src, task, out in zip(a[0::3], a[1::3], a[2::3]):
    torch.manual_seed(0)
    model = getattr(transformers, CLASSES[task]).from_pretrained(src)
    if os.path.exists(out + ".partial"):
        shutil.rmtree(out + ".partial")
    model.save_pretrained(out + ".partial")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    os.replace(out + ".partial", out)
    print(f"  {out}: {CLASSES[task]}", file=sys.stderr)
PY
  fi
fi
if [ -n "${BERTKIT:-}" ]; then
  bk=$BERTKIT
else
  echo "building bertkit (release) ..." >&2
  swift build -c release --product bertkit 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] ' >&2
  bk=.build/release/bertkit
fi

# Every run's JSON line is kept in RESULTS (the table shows only each backend's best round).
results=${RESULTS:-.cache/bench/last.jsonl}
mkdir -p "$(dirname "$results")"
: > "$results"
cputime=$(mktemp)
reflog=$(mktemp)
trap 'rm -f "$cputime" "$reflog"' EXIT
declare -A base_cpu
[ "$train" = 1 ] && [ -n "$tasks" ] && [ "$runs" -lt 2 ] && { echo "error: TASKS needs RUNS of at least 2 (CPU per step)" >&2; exit 1; }
load_before=$(uptime)
for round in $(seq "$rounds"); do
for m in $models; do
  for s in $shapes; do
    b=${s%x*}; q=${s#*x}
    echo "round $round: $(basename "$m") ${b}×${q}, $threads threads ..." >&2
    if [ "$train" = 1 ] && [ -n "$tasks" ]; then
      for t in $tasks; do
        tm=$(task_model "$m" "$t")
        for d in $dropouts; do
          mode="train $t, dropout $([ $d = dropout ] && echo on || echo off)"
          args=(bench "$tm" --train --task "$t" --$d --batch "$b" --seq "$q" --threads "$threads" --json)
          base="$tm $d $s"
          if [ -z "${base_cpu[$base]:-}" ]; then
            /usr/bin/time -f "%U %S" -o "$cputime" "$bk" "${args[@]}" --runs 1 > /dev/null
            base_cpu[$base]=$(awk '{print $1 + $2}' "$cputime")
          fi
          line=$(/usr/bin/time -f "%U %S" -o "$cputime" "$bk" "${args[@]}" --runs "$runs")
          cpu=$(awk -v b="${base_cpu[$base]}" -v r="$runs" '{printf "%.1f", ($1 + $2 - b) * 1000 / (r - 1)}' "$cputime")
          echo "$line" | sed "s|^{|{\"backend\":\"bertkit\",\"model\":\"$m\",\"mode\":\"$mode\",\"cpuMsPerBatch\":$cpu,|" >> "$results"
          "$py" golden/bench_reference.py "$tm" --backend torch --train --task "$t" --$d --batch "$b" --seq "$q" \
            --threads "$threads" --runs "$runs" 2>/dev/null | sed "s|\"model\": \"$tm\"|\"model\": \"$m\"|" >> "$results"
        done
      done
      continue
    fi
    if [ "$train" = 1 ]; then
      for d in $dropouts; do
        mode="train, dropout $([ $d = dropout ] && echo on || echo off)"
        "$bk" bench "$m" --train --$d --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" --json \
          | sed "s|^{|{\"backend\":\"bertkit\",\"model\":\"$m\",\"mode\":\"$mode\",|" >> "$results"
        "$py" golden/bench_reference.py "$m" --backend torch --train --$d --batch "$b" --seq "$q" --threads "$threads" \
          --runs "$runs" 2>/dev/null >> "$results"
      done
      continue
    fi
    "$bk" bench "$m" --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" --json \
      | sed "s|^{|{\"backend\":\"bertkit\",\"model\":\"$m\",\"mode\":\"forward\",|" >> "$results"
    for be in $backends; do
      # A backend that cannot run this family (CTranslate2 has no MPNet converter) is left out, saying why.
      "$py" golden/bench_reference.py "$m" --backend "$be" --batch "$b" --seq "$q" --threads "$threads" --runs "$runs" \
        2>"$reflog" >> "$results" || echo "  $be: left out ($(grep -E 'Error|error' "$reflog" | tail -1 | cut -c1-160))" >&2
    done
  done
done
done

echo "load before: ${load_before##*load average: }; after: $(uptime | sed 's/.*load average: //') (1, 5, 15 min)" >&2
"$py" - "$results" <<'PY'
import json, os, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Each backend's best round per model and shape, in first-seen order.
best = {}
for r in runs:
    k = (r["model"], r["batch"], r["seq"], r["mode"], r["backend"])
    if k not in best or r["medianMs"] < best[k]["medianMs"]:
        best[k] = r
rows = list(best.values())
same = lambda x, r: (x["model"], x["batch"], x["seq"], x["mode"]) == (r["model"], r["batch"], r["seq"], r["mode"])
rounds = max(sum(1 for r in runs if same(r, b) and r["backend"] == b["backend"]) for b in rows)
print(f"(lowest median of {rounds} round{'s' if rounds > 1 else ''} per backend)\n")
print("| model | batch×seq | what | threads | backend | median ms | seq/s | GFLOPS | peak RSS MiB | vs PyTorch |")
print("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    torch = next((x for x in rows if x["backend"] == "pytorch" and same(x, r)), r)
    gflops = f"{r['gflops']:.1f}" if r["mode"] == "forward" else "—"
    print(f"| {os.path.basename(os.path.normpath(r['model']))} | {r['batch']}×{r['seq']} | {r['mode']} | {r['threads']} "
          f"| {r['backend']} | {r['medianMs']:.1f} | {r['sequencesPerSecond']:.1f} | {gflops} | {r['peakRSSMiB']:.0f} "
          f"| {torch['medianMs'] / r['medianMs']:.2f}× |")
print("\nall rounds (median ms): " + "; ".join(
    f"{os.path.basename(os.path.normpath(m))} {b}×{q} {mode} {be} " + "/".join(f"{x['medianMs']:.0f}" for x in runs
        if (x["model"], x["batch"], x["seq"], x["mode"], x["backend"]) == (m, b, q, mode, be))
    for (m, b, q, mode, be) in best))
# One line per model and shape: every backend's lowest median, and bertkit against the fastest other.
names = list(dict.fromkeys(r["backend"] for r in rows))
print("\n| model | batch×seq | what | " + " | ".join(names) + " | fastest other / bertkit |")
print("| --- | --- | --- | " + " | ".join("---:" for _ in names) + " | ---: |")
for key in dict.fromkeys((r["model"], r["batch"], r["seq"], r["mode"]) for r in rows):
    cell = {r["backend"]: r["medianMs"] for r in rows if (r["model"], r["batch"], r["seq"], r["mode"]) == key}
    others = [v for k, v in cell.items() if k != "bertkit"]
    ratio = f"{min(others) / cell['bertkit']:.2f}×" if others and "bertkit" in cell else "—"
    print(f"| {os.path.basename(os.path.normpath(key[0]))} | {key[1]}×{key[2]} | {key[3]} | "
          + " | ".join(f"{cell[n]:.1f}" if n in cell else "—" for n in names) + f" | {ratio} |")
# The same cells in process CPU ms per batch (all threads; spinning thread pools count too).
if any("cpuMsPerBatch" in r for r in rows):
    print("\nprocess CPU ms per batch (same runs):\n")
    print("| model | batch×seq | what | " + " | ".join(names) + " |")
    print("| --- | --- | --- | " + " | ".join("---:" for _ in names) + " |")
    for key in dict.fromkeys((r["model"], r["batch"], r["seq"], r["mode"]) for r in rows):
        cell = {r["backend"]: r["cpuMsPerBatch"] for r in rows
                if (r["model"], r["batch"], r["seq"], r["mode"]) == key and "cpuMsPerBatch" in r}
        print(f"| {os.path.basename(os.path.normpath(key[0]))} | {key[1]}×{key[2]} | {key[3]} | "
              + " | ".join(f"{cell[n]:.1f}" if n in cell else "—" for n in names) + " |")
bk = next((x for x in rows if x["backend"] == "bertkit"), None)
if bk:
    print(f"\nbertkit BLAS core: {bk.get('blasCore', 'see bertkit bench')}, kernels: {bk.get('kernels', '-')}; "
          + "; ".join(sorted({x['version'] for x in rows if 'version' in x})))
PY
