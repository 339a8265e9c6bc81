#!/usr/bin/env python3
"""Tokenizer throughput: bertkit against transformers' Rust-backed BertTokenizer, same texts, same run.

Usage (from the repository root, after `swift build -c release`):
    golden/.venv/bin/python golden/bench-tokenizer.py [--mb 16] [--bertkit .build/release/bertkit] [--model DIR]

The corpus is English prose built deterministically from the docstrings of the Python standard
library and the installed transformers package (ast.get_docstring, split into paragraphs of
40..2000 characters, deduplicated, in sorted file order) until it holds --mb megabytes of UTF-8.

Reported, in MB/s of UTF-8 input and tokens/s (tokens include [CLS] and [SEP]):
  hf-fast per-text   `for t in texts: tokenizer(t)` with RAYON_NUM_THREADS=1 (one core)
  hf-fast batch      `tokenizer(texts)` (Rust's thread pool, every core)
  bertkit per-text   `bertkit tokenize --benchmark`: BertTokenizer.encode(text) in a loop, one thread
  bertkit batch      the same inputs through BertTokenizer.encode([TextInput]) (every core)
Then it checks that bertkit's ids equal the Python BertTokenizer's on every text (and counts the
texts where the Rust tokenizer differs from both; see golden/README.md for why it can).
"""
import argparse
import ast
import json
import os
import subprocess
import sys
import sysconfig
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def docstring_paragraphs(roots):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                try:
                    tree = ast.parse(open(os.path.join(dirpath, name), encoding="utf-8").read())
                except (SyntaxError, UnicodeDecodeError, ValueError):
                    continue
                for node in ast.walk(tree):
                    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                        doc = ast.get_docstring(node)
                        if not doc:
                            continue
                        for para in doc.split("\n\n"):
                            text = " ".join(line.strip() for line in para.splitlines()).strip()
                            if 40 <= len(text) <= 2000:
                                yield text


def build_corpus(mb, path):
    import transformers
    roots = [sysconfig.get_paths()["stdlib"], os.path.dirname(transformers.__file__)]
    seen, texts, size = set(), [], 0
    for t in docstring_paragraphs(roots):
        if t in seen:
            continue
        seen.add(t)
        texts.append(t)
        size += len(t.encode("utf-8"))
        if size >= mb * 1_000_000:
            break
    with open(path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    return texts, size


HF_CHILD = r"""
import json, sys, time
from transformers import AutoTokenizer
model, corpus, mode = sys.argv[1:4]
texts = [json.loads(l)["text"] for l in open(corpus, encoding="utf-8")]
tok = AutoTokenizer.from_pretrained(model)
tok(texts[:100])  # warm up
t0 = time.perf_counter()
if mode == "per-text":
    ids = [tok(t)["input_ids"] for t in texts]
else:
    ids = tok(texts)["input_ids"]
seconds = time.perf_counter() - t0
json.dump({"seconds": seconds, "tokens": sum(map(len, ids)), "ids": ids if mode == "per-text" else None}, sys.stdout)
"""


def run_hf(model, corpus, mode):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="true")
    if mode == "per-text":
        env["RAYON_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", HF_CHILD, model, corpus, mode], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=16)
    ap.add_argument("--bertkit", default=os.path.join(REPO, ".build", "release", "bertkit"))
    ap.add_argument("--model", default=os.environ.get("BERTKIT_MINILM", os.path.join(REPO, ".cache", "models", "all-MiniLM-L6-v2")))
    ap.add_argument("--workdir", default="/tmp/bertkit-bench-tokenizer")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    corpus = os.path.join(args.workdir, "corpus.jsonl")
    texts, size = build_corpus(args.mb, corpus)
    mb = size / 1e6
    print(f"corpus: {len(texts)} texts, {mb:.2f} MB UTF-8 ({corpus})")

    rows = []
    for mode in ["per-text", "batch"]:
        r = run_hf(args.model, corpus, mode)
        rows.append((f"hf-fast {mode}", r["seconds"], r["tokens"]))
        if mode == "per-text":
            fast_ids = r["ids"]
    bench = json.loads(subprocess.run([args.bertkit, "tokenize", args.model, "--jsonl", corpus, "--benchmark", "--json"],
                                      check=True, capture_output=True, text=True).stdout)
    for mode in ["per-text", "batch"]:
        rows.append((f"bertkit {mode}", bench[mode]["seconds"], bench[mode]["tokens"]))
    print(f"{'':20} {'seconds':>8} {'MB/s':>8} {'tokens/s':>12}")
    for name, s, n in rows:
        print(f"{name:20} {s:8.2f} {mb / s:8.2f} {n / s:12,.0f}")
    base = rows[0][1]
    print(f"bertkit per-text is {base / rows[2][1]:.1f}x hf-fast per-text; bertkit batch is {base / rows[3][1]:.1f}x")

    # Same ids? bertkit against the Python BertTokenizer (the reference) and the Rust one.
    out = subprocess.run([args.bertkit, "tokenize", args.model, "--jsonl", corpus], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    ours = [json.loads(l)["input_ids"] for l in out]
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
    slow = BertTokenizerLegacy.from_pretrained(args.model)
    t0 = time.perf_counter()
    slow_ids = [slow.encode(t) for t in texts]
    slow_s = time.perf_counter() - t0
    bad = [i for i in range(len(texts)) if ours[i] != slow_ids[i]]
    fast_diff = sum(1 for i in range(len(texts)) if fast_ids[i] != slow_ids[i])
    print(f"hf-python per-text: {slow_s:.2f} s, {mb / slow_s:.2f} MB/s")
    print(f"ids: bertkit differs from the Python BertTokenizer on {len(bad)} of {len(texts)} texts; "
          f"the Rust tokenizer differs from it on {fast_diff}")
    for i in bad[:5]:
        print(f"  {texts[i]!r}\n    bertkit {ours[i]}\n    python  {slow_ids[i]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
