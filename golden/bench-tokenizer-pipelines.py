#!/usr/bin/env python3
"""tokenizer.json pipelines: bertkit's PipelineTokenizer against the `tokenizers` library, one thread, same run.

Usage (from the repository root):
    golden/.venv/bin/python golden/bench-tokenizer-pipelines.py [--repeat 5] [--skip-build] [--scratch-path DIR]

Texts: golden/corpus/texts.jsonl + golden/corpus/pipeline-extra.jsonl, --repeat times (2,094 texts a
copy). Tokenizers: the three fixtures of golden/generate_tokenizer_pipelines.py (byte-level BPE,
XLM-R-like and ALBERT-like Unigram). Reported: seconds for `for t in texts: tok.encode(t)` (best of 3,
RAYON_NUM_THREADS=1) and for bertkit's `PipelineTokenizer.encode(text)` in a loop on one thread (the
PipelineBenchmark test, release build, best of 3), with MB/s of UTF-8 input. A benchmark, not a test:
nothing is asserted.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NAMES = ["roberta-bpe", "xlmr-unigram", "albert-unigram"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--scratch-path", help="SwiftPM's --scratch-path for the release build (default .build)")
    args = ap.parse_args()
    texts = []
    for f in ["texts.jsonl", "pipeline-extra.jsonl"]:
        texts += [json.loads(x)["text"] for x in open(REPO / "golden" / "corpus" / f, encoding="utf-8")]
    texts *= args.repeat
    nbytes = sum(len(t.encode()) for t in texts)
    tmp = Path(tempfile.mkdtemp()) / "texts.jsonl"
    tmp.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    ref = {}
    for name in NAMES:
        tok = Tokenizer.from_file(str(REPO / "golden" / "fixtures" / "tokenizers" / name / "tokenizer.json"))
        for t in texts[:200]:
            tok.encode(t)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for t in texts:
                tok.encode(t)
            best = min(best, time.perf_counter() - start)
        ref[name] = best
    cmd = ["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--filter", "PipelineBenchmark"]
    if args.skip_build:
        cmd.insert(4, "--skip-build")
    if args.scratch_path:
        cmd[2:2] = ["--scratch-path", args.scratch_path]
    out = subprocess.run(cmd, cwd=REPO, env={**os.environ, "BERTKIT_PIPELINE_BENCH": str(tmp)},
                         capture_output=True, text=True)
    ours = {m.group(1): float(m.group(2)) for m in re.finditer(r"BENCH bertkit (\S+) ([0-9.]+) s", out.stdout)}
    if not ours:
        sys.exit("the Swift benchmark printed no figures:\n" + out.stdout[-3000:] + out.stderr[-3000:])
    print(f"{len(texts)} texts, {nbytes / 1e6:.2f} MB, one thread")
    print(f"{'tokenizer':<16}{'tokenizers s':>14}{'MB/s':>8}{'bertkit s':>12}{'MB/s':>8}{'speed-up':>10}")
    for name in NAMES:
        r, b = ref[name], ours[name]
        print(f"{name:<16}{r:>14.3f}{nbytes / 1e6 / r:>8.2f}{b:>12.3f}{nbytes / 1e6 / b:>8.2f}{r / b:>9.2f}x")


if __name__ == "__main__":
    main()
