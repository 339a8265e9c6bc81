"""The Python side of golden/bench-corpus.sh: the corpus, the classification model, the
sentence-transformers and transformers-pipeline runs, and the table.

    bench_corpus.py prepare OUT.jsonl --lines 50000      # golden/corpus/texts.jsonl repeated (empty texts left out)
    bench_corpus.py model DIR                            # MiniLM + a BertForSequenceClassification head (seed 0)
    bench_corpus.py st MODEL CORPUS --threads 2          # SentenceTransformer.encode, batch 32: one JSON line
    bench_corpus.py pipeline MODEL CORPUS --threads 2    # pipeline("text-classification", batch_size=32): one JSON line
    bench_corpus.py table RESULTS.jsonl                  # the Markdown table

Each timed run loads its model first and times only the pass over the corpus, as bertkit's summary
does; tokens are counted once here with the model's tokenizer, cut as each task cuts them (256 for
MiniLM's sentence-transformers max_seq_length, 512 for the classifier), so every row of the table
divides the same count. Peak RSS is the process's ru_maxrss.
"""
import offline_env  # noqa: F401

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def texts(corpus):
    with open(corpus, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def prepare(out, lines):
    base = [t for t in texts(HERE / "corpus/texts.jsonl") if t]  # bertkit refuses an empty text (a bad row)
    rows = []
    while len(rows) < lines:
        rows += base
    tmp = out + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        for t in rows:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    print(f"{out}: {len(rows)} texts ({len(base)} distinct)", file=sys.stderr)


def make_model(out):
    sys.path.insert(0, str(HERE))
    from head_models import minilm_with_head

    labels = [x.strip() for x in open(HERE / "data/agnews-mini/labels.txt", encoding="utf-8") if x.strip()]
    model, tokenizer = minilm_with_head("BertForSequenceClassification", seed=0, num_labels=len(labels),
                                        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    tmp = out + ".partial"
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    os.replace(tmp, out)


def count_tokens(model, rows, limit):
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(model)
    enc = tok(rows, truncation=True, max_length=limit)
    return sum(len(ids) for ids in enc["input_ids"])


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_st(model, corpus, threads):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    rows = texts(corpus)
    st = SentenceTransformer(model, device="cpu")
    tokens = count_tokens(model, rows, st.max_seq_length)
    t0 = time.perf_counter()
    emb = st.encode(rows, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
    secs = time.perf_counter() - t0
    assert emb.shape[0] == len(rows)
    return dict(tool="sentence-transformers encode", task="embed", texts=len(rows), tokens=tokens, seconds=secs,
                peak_rss_bytes=peak_rss())


def run_pipeline(model, corpus, threads):
    import torch
    import transformers

    torch.set_num_threads(threads)
    rows = texts(corpus)
    pipe = transformers.pipeline("text-classification", model=model, device="cpu", batch_size=32)
    tokens = count_tokens(model, rows, 512)
    t0 = time.perf_counter()
    out = pipe(rows, truncation=True, max_length=512)
    secs = time.perf_counter() - t0
    assert len(out) == len(rows)
    return dict(tool="transformers pipeline", task="text-classification", texts=len(rows), tokens=tokens, seconds=secs,
                peak_rss_bytes=peak_rss())


def table(results):
    rows = [json.loads(l) for l in open(results, encoding="utf-8") if l.strip()]
    print("| task | tool | texts | seconds | texts/s | tokens/s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['task']} | {r['tool']} | {r['texts']} | {r['seconds']:.1f} | {r['texts'] / r['seconds']:.1f} "
              f"| {r['tokens'] / r['seconds']:.0f} | {r['peak_rss_bytes'] / 2**20:.0f} |")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["prepare", "model", "st", "pipeline", "tokens", "table"])
    p.add_argument("args", nargs="*")
    p.add_argument("--lines", type=int, default=50000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=512)
    a = p.parse_args()
    if a.mode == "prepare":
        prepare(a.args[0], a.lines)
    elif a.mode == "model":
        make_model(a.args[0])
    elif a.mode == "tokens":
        print(count_tokens(a.args[0], texts(a.args[1]), a.limit))
    elif a.mode == "table":
        table(a.args[0])
    else:
        r = (run_st if a.mode == "st" else run_pipeline)(a.args[0], a.args[1], a.threads)
        print(json.dumps(r))


if __name__ == "__main__":
    main()
