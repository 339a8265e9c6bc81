#!/usr/bin/env python3
"""Tokenizers of every kind: bertkit's `tokenize --benchmark` against the `tokenizers` library, one thread, same run.

Usage (from the repository root):
    golden/.venv/bin/python golden/bench-tokenizer-pipelines.py [--repeat 20] [--rounds 7] [--bertkit .build/release/bertkit]

Texts: golden/corpus/texts.jsonl + golden/corpus/pipeline-extra.jsonl (the multilingual conformance
corpus), --repeat times. Tokenizers: the fixtures of golden/generate_tokenizer_pipelines.py
(byte-level BPE, XLM-R-like and ALBERT-like Unigram) and, when fetched, the real WordPiece of
all-MiniLM-L6-v2 and all-mpnet-base-v2 folders. Reported: seconds for `for t in texts: tok.encode(t)`
(tokenizer.json through `tokenizers`, RAYON_NUM_THREADS=1) and bertkit's per-text figure
(`bertkit tokenize DIR --jsonl texts --benchmark --json`: one text at a time on one thread, special
tokens added as `encode` adds them, one process per round), with MB/s of UTF-8 input. The two sides
alternate, --rounds times each, so a slow spell of a shared host falls on both; the table gives the
median round of each side (and the best, after the slash). A benchmark, not a test: nothing is
asserted. Without --bertkit it builds the release binary first.
"""
import argparse
import json
import statistics
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURES = ["roberta-bpe", "xlmr-unigram", "albert-unigram"]
REAL = [".cache/models/all-MiniLM-L6-v2", ".cache/models/all-mpnet-base-v2"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--bertkit", help="the binary to time (default: build .build/release/bertkit)")
    args = ap.parse_args()
    bertkit = args.bertkit
    if not bertkit:
        subprocess.run(["swift", "build", "-c", "release", "--product", "bertkit"], cwd=REPO, check=True)
        bertkit = str(REPO / ".build" / "release" / "bertkit")
    texts = []
    for f in ["texts.jsonl", "pipeline-extra.jsonl"]:
        texts += [json.loads(x)["text"] for x in open(REPO / "golden" / "corpus" / f, encoding="utf-8")]
    texts *= args.repeat
    nbytes = sum(len(t.encode()) for t in texts)
    tmp = Path(tempfile.mkdtemp()) / "texts.jsonl"
    tmp.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    folders = [(n, REPO / "golden" / "fixtures" / "tokenizers" / n) for n in FIXTURES]
    folders += [(Path(r).name, REPO / r) for r in REAL if (REPO / r / "tokenizer.json").exists()]
    print(f"{len(texts)} texts, {nbytes / 1e6:.2f} MB, one thread")
    print(f"{'tokenizer':<20}{'tokenizers s':>16}{'MB/s':>8}{'bertkit s':>16}{'MB/s':>8}{'speed-up':>10}")
    for name, folder in folders:
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        for t in texts[:200]:
            tok.encode(t)
        refs, ours = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for t in texts:
                tok.encode(t)
            refs.append(time.perf_counter() - start)
            out = subprocess.run([bertkit, "tokenize", str(folder), "--jsonl", str(tmp), "--benchmark", "--json"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"bertkit tokenize {folder} failed:\n{out.stderr[-2000:]}")
            ours.append(json.loads(out.stdout)["per-text"]["seconds"])
        ref, our = statistics.median(refs), statistics.median(ours)
        both = lambda m, b: f"{m:.3f}/{b:.3f}"
        print(f"{name:<20}{both(ref, min(refs)):>16}{nbytes / 1e6 / ref:>8.2f}"
              f"{both(our, min(ours)):>16}{nbytes / 1e6 / our:>8.2f}{ref / our:>9.2f}x")

if __name__ == "__main__":
    main()
