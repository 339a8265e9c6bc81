#!/usr/bin/env bash
# Embeds and classifies a corpus of real text with bertkit, next to sentence-transformers' encode
# (batch 32, its length sorting) and transformers' text-classification pipeline (batch_size 32), at
# the same thread count, in one run, and prints texts/s, tokens/s and peak RSS (formats/benchmarks.md).
#
#   golden/bench-corpus.sh                 # golden/corpus/texts.jsonl repeated to 50,000 lines, 2 threads
#   LINES=5000 THREADS=1 golden/bench-corpus.sh
#   BERTKIT=/tmp/bk-rel/release/bertkit golden/bench-corpus.sh   # that binary instead of building one
#
# The corpus is the project's 2,000-text golden corpus (golden/corpus/texts.jsonl, its one empty text
# left out) repeated, written to .cache/bench/corpus.jsonl. Embedding uses all-MiniLM-L6-v2
# (.cache/models/all-MiniLM-L6-v2, golden/fetch-minilm.sh); classification uses MiniLM with a
# BertForSequenceClassification head (AG News' 4 labels, seed 0, golden/head_models.py), saved once
# into .cache/models/minilm-agnews-cls (git-ignored; CLS_MODEL=... elsewhere). The corpus and outputs go to
# .cache/bench (BENCH_DIR=... elsewhere). The tools take turns: bertkit embed,
# sentence-transformers, bertkit run, the pipeline; each in its own process, timing the pass over the
# corpus after the model is loaded. Needs golden/.venv (golden/README.md) or PYTHON=/path/to/python.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
py=${PYTHON:-golden/.venv/bin/python}
threads=${THREADS:-2}
lines=${LINES:-50000}
minilm=${BERTKIT_MINILM:-.cache/models/all-MiniLM-L6-v2}
cls=${CLS_MODEL:-.cache/models/minilm-agnews-cls}
work=${BENCH_DIR:-.cache/bench}
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=true RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=$threads

[ -x "$py" ] || { echo "error: no Python at $py (set PYTHON=..., see golden/README.md)" >&2; exit 1; }
mkdir -p "$work"
corpus=$work/corpus.jsonl
"$py" golden/bench_corpus.py prepare "$corpus" --lines "$lines"
[ -f $cls/model.safetensors ] || { echo "making $cls ..." >&2; "$py" golden/bench_corpus.py model "$cls"; }
if [ -n "${BERTKIT:-}" ]; then
  bk=$BERTKIT  # time that binary instead of building .build/release/bertkit
else
  echo "building bertkit (release) ..." >&2
  swift build -c release --product bertkit 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] ' >&2
  bk=.build/release/bertkit
fi

results=$work/corpus-last.jsonl
: > "$results"
# bertkit's --json summary carries texts, tokens, seconds and peak RSS; the tokens column uses the
# Python count (the same tokenizer and cuts) so every row divides the same number.
bertkit_row() {  # task tool limit model summary
  local tokens
  tokens=$("$py" golden/bench_corpus.py tokens "$4" "$corpus" --limit "$3")
  "$py" - "$1" "$2" "$tokens" "$5" >> "$results" <<'PY'
import json, sys
task, tool, tokens, summary = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
print(json.dumps(dict(tool=tool, task=task, texts=summary["texts"], tokens=tokens, seconds=summary["seconds"],
                      peak_rss_bytes=summary["peak_rss_bytes"], bertkit_tokens=summary["tokens"],
                      padding_waste=summary["padding_waste"])))
PY
}
echo "bertkit embed ..." >&2
s=$("$bk" embed "$minilm" --jsonl "$corpus" --threads "$threads" --batch-size 32 -o "$work/embeddings.npy" --json)
bertkit_row embed "bertkit embed" 256 "$minilm" "$s"
echo "sentence-transformers encode ..." >&2
"$py" golden/bench_corpus.py st "$minilm" "$corpus" --threads "$threads" >> "$results"
echo "bertkit run --task text-classification ..." >&2
s=$("$bk" run "$cls" --jsonl "$corpus" --task text-classification --threads "$threads" --batch-size 32 \
      -o "$work/classes.jsonl" --json)
bertkit_row text-classification "bertkit run" 512 "$cls" "$s"
echo "transformers pipeline ..." >&2
"$py" golden/bench_corpus.py pipeline "$cls" "$corpus" --threads "$threads" >> "$results"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(wc -l < "$corpus") texts, $threads threads" >&2
"$py" golden/bench_corpus.py table "$results"
