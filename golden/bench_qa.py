#!/usr/bin/env python3
"""Times `bertkit run --task question-answering` next to transformers' question-answering pipeline
(4.57.6, the last release that has it) on the same inputs, model and thread count, in one run.

    swift build -c release --product bertkit
    golden/.venv-tf/bin/python golden/bench_qa.py                  # 2 threads, 3 rounds of 3 runs
    golden/.venv-tf/bin/python golden/bench_qa.py --threads 1 --rounds 5

Model: all-MiniLM-L6-v2 under the golden's BertForQuestionAnswering head (golden/generate_question_answering.py:
seed 11, initializer_range 0.5), saved once with save_pretrained into .cache/models/minilm-qa (git-ignored);
both sides load that folder. Inputs: the golden's contexts, 8 questions on the long English one (3 windows
of 384 tokens each) and 16 on the four short ones (one window each): 24 inputs, 40 windows, default
parameters (max_seq_len 384, doc_stride 128, top_k 1).

- transformers: the pipeline called once on all 24 inputs, torch.set_num_threads(N), one inter-op thread,
  eager, under torch.inference_mode(); the pipeline's default batch_size (1 window per forward) and
  batch_size 8. Timed in this process, after a warm-up call; the model load is not timed.
- bertkit: `bertkit run MODEL --jsonl FILE --json --threads N`, one process per run, wall time. The process
  also loads the model, so the table gives the whole run and, as "net", the run minus the median of
  `bertkit run MODEL --question Why? --context Because.` (load, one tiny window, exit) timed alongside.
Rounds alternate the backends; each keeps its lowest median over the rounds (on a shared machine, load from
other processes then affects them alike). The script checks that both give the same answers (texts and
offsets) before timing.
"""
import os

os.environ.setdefault("USE_TF", "0")
import offline_env  # noqa: F401

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate_question_answering as g  # noqa: E402  (the golden's texts and head settings)

MODEL = ROOT / ".cache/models/minilm-qa"

QUESTIONS_LONG = ["When did the canal reopen to boats?", "Who was the engineer?", "What did the first boat carry?",
                  "When did the railway reach Harwick?", "Who restored the canal?", "What was the toll?",
                  "What is in the museum?", "Why was Josiah Pell fined?"]
SHORT = [g.SHORT, g.FRENCH, g.CHINESE, g.MIXED]
QUESTIONS_SHORT = ["Who?", "When?", "Where is it?", "What is it about?"]
INPUTS = ([{"question": q, "context": g.LONG} for q in QUESTIONS_LONG]
          + [{"question": q, "context": c} for c in SHORT for q in QUESTIONS_SHORT])


def make_model() -> None:
    if (MODEL / "model.safetensors").exists():
        return
    from head_models import minilm_with_head
    model, tokenizer = minilm_with_head("BertForQuestionAnswering", seed=g.SEED, initializer_range=g.INIT_RANGE)
    part = MODEL.with_name(MODEL.name + ".partial")
    model.save_pretrained(part)
    tokenizer.save_pretrained(part)
    os.replace(part, MODEL)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bertkit", default=str(ROOT / ".build/release/bertkit"))
    args = ap.parse_args()

    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    make_model()
    qa = transformers.pipeline("question-answering", model=str(MODEL), tokenizer=str(MODEL), device="cpu")
    qs, cs = [x["question"] for x in INPUTS], [x["context"] for x in INPUTS]

    def pipeline(batch_size):
        with torch.inference_mode():
            return qa(question=qs, context=cs, batch_size=batch_size)

    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "questions.jsonl"
        jsonl.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in INPUTS), encoding="utf-8")
        full = [args.bertkit, "run", str(MODEL), "--jsonl", str(jsonl), "--json", "--threads", str(args.threads)]
        tiny = [args.bertkit, "run", str(MODEL), "--question", "Why?", "--context", "Because.", "--threads", str(args.threads)]

        def bertkit(cmd):
            return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

        mine, theirs = json.loads(bertkit(full)), pipeline(1)
        key = [(a["answer"], a["start"], a["end"]) for a in theirs]
        assert [(a["answer"], a["start"], a["end"]) for a in mine] == key, "bertkit and the pipeline disagree"
        assert all(abs(a["score"] - b["score"]) < 1e-5 for a, b in zip(mine, theirs))

        best = {}
        for _ in range(args.rounds):
            for name, fn in [("bertkit", lambda: bertkit(full)), ("bertkit load + 1 window", lambda: bertkit(tiny)),
                             ("transformers batch_size 1", lambda: pipeline(1)),
                             ("transformers batch_size 8", lambda: pipeline(8))]:
                fn()  # warm-up (page cache, allocator)
                best[name] = min(best.get(name, float("inf")), timed(fn, args.runs))

    windows = sum(len(qa.tokenizer(q, c, truncation="only_second", max_length=384, stride=128,
                                   return_overflowing_tokens=True)["input_ids"]) for q, c in zip(qs, cs))
    net = best["bertkit"] - best["bertkit load + 1 window"]
    print(f"question answering, all-MiniLM-L6-v2 + qa_outputs, {len(INPUTS)} inputs / {windows} windows, "
          f"{args.threads} threads; transformers {transformers.__version__}, torch {torch.__version__}")
    print("| run | ms | windows/s |")
    print("| --- | ---: | ---: |")
    for name in ["transformers batch_size 1", "transformers batch_size 8"]:
        print(f"| {name} | {best[name]:.0f} | {windows / best[name] * 1000:.1f} |")
    print(f"| bertkit (whole process: load, {windows} windows) | {best['bertkit']:.0f} | {windows / best['bertkit'] * 1000:.1f} |")
    print(f"| bertkit net (minus load + 1 window: {best['bertkit load + 1 window']:.0f} ms) | {net:.0f} | "
          f"{windows / net * 1000:.1f} |")


if __name__ == "__main__":
    main()
