#!/usr/bin/env python3
"""Times `bertkit run --task T` against transformers' pipeline for T, in the same run, same threads.

The model is all-MiniLM-L6-v2 under the task's random head (golden/head_models.py), saved once to
`--cache`/<task>/ (default .cache/bench/pipelines/) with save_pretrained, so both tools read the
same folder. The inputs are
golden/data/agnews-mini/test.csv's descriptions (120 texts of 20-50 tokens), made into the task's
inputs by the task's entry in TASKS (fill-mask: one word masked). Both tools then answer the same
inputs, and the script checks that their top answers agree before it prints any figure.

- transformers: `pipeline(task, model=folder)` loaded once; a warm-up pass, then `--runs` timed
  passes over all inputs, at each `--hf-batch` (the pipeline's `batch_size`; 1 is its default);
  torch.set_num_threads(--threads), one inter-op thread, inference mode (the pipeline's own).
  OMP_WAIT_POLICY is PASSIVE unless `--omp-wait-policy` says otherwise: libgomp's idle threads
  spin, and on a machine whose cores other jobs are using that spinning made torch 5-10x slower
  at 2 threads (MiniLM's encoder on 25 tokens: 313 ms ACTIVE/default, 27 ms PASSIVE, 27 ms at
  1 thread), which would flatter bertkit.
- bertkit: the release binary (`swift build -c release`) run as users run it, one process per pass:
  `bertkit run FOLDER TEXT... --json --threads N` (bertkit batches all texts, right-padded). A pass
  includes the process start and the model load, so each pass is timed twice, with all inputs and
  with the first one alone; the difference is the time for the other inputs ("marginal"), which is
  what the per-text figure uses. The end-to-end wall time is printed too.

Medians of `--runs` passes; the two tools alternate so a busy machine slows both alike.

    golden/.venv/bin/python golden/bench_pipelines.py --task fill-mask --threads 2 --runs 5

To add a task, add a Task to TASKS: its head class and seed, how to turn the corpus into inputs,
the pipeline call, bertkit's arguments, and how to read each tool's top answer for the check.
"""
import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import csv
import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / ".cache" / "bench" / "pipelines"
CORPUS = HERE / "data" / "agnews-mini" / "test.csv"


@dataclass
class Task:
    head: str  # transformers class for golden/head_models.minilm_with_head
    seed: int
    inputs: Callable[[list], list]  # corpus texts -> the task's inputs
    bertkit_args: Callable[[list], list]  # inputs -> `bertkit run FOLDER` arguments
    pipeline_call: Callable  # (pipe, inputs, batch_size) -> one output per input
    top_pipeline: Callable  # one pipeline output -> (top answer, its score)
    top_bertkit: Callable  # one element of bertkit's --json array -> the same
    pipeline_kwargs: dict = field(default_factory=dict)


def mask_one_word(text: str) -> str:
    """The fifth word (or the last) becomes [MASK]; punctuation stuck to it stays."""
    words = text.split(" ")
    i = min(4, len(words) - 1)
    w = words[i]
    core = w.strip(".,;:!?\"'()")
    words[i] = w.replace(core, "[MASK]", 1) if core else "[MASK]"
    return " ".join(words)


TASKS = {
    "fill-mask": Task(
        head="BertForMaskedLM", seed=0,
        inputs=lambda texts: [mask_one_word(t) for t in texts],
        bertkit_args=lambda inputs: list(inputs),
        pipeline_call=lambda pipe, inputs, bs: pipe(inputs, batch_size=bs),
        top_pipeline=lambda out: (out[0]["token"], out[0]["score"]),
        top_bertkit=lambda out: (out[0]["token"], out[0]["score"]),
    ),
}


def corpus() -> list:
    with open(CORPUS, newline="", encoding="utf-8") as f:
        return [row[2] for row in csv.reader(f)]


def model_folder(cache: Path, name: str, task: Task) -> Path:
    """MiniLM + the task's head, saved once (weights + tokenizer) for both tools."""
    folder = cache / name
    if not (folder / "config.json").exists():
        from head_models import minilm_with_head

        model, tok = minilm_with_head(task.head, seed=task.seed)
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        os.replace(tmp, folder)
    return folder


def time_once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="fill-mask", choices=sorted(TASKS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--hf-batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--bertkit", default=str(ROOT / ".build" / "release" / "bertkit"))
    ap.add_argument("--cache", type=Path, default=CACHE, help="where the model folders are saved")
    ap.add_argument("--omp-wait-policy", default="PASSIVE", choices=["PASSIVE", "ACTIVE", "default"])
    args = ap.parse_args()
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy  # read when libgomp starts: before torch loads

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    task = TASKS[args.task]
    folder = model_folder(args.cache, args.task, task)
    inputs = task.inputs(corpus())
    pipe = transformers.pipeline(args.task, model=str(folder), device="cpu", **task.pipeline_kwargs)

    bertkit = [args.bertkit, "run", str(folder), "--task", args.task, "--threads", str(args.threads), "--json"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))

    def run_bertkit(items) -> list:
        r = subprocess.run(bertkit + task.bertkit_args(items), capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit(f"bertkit failed ({r.returncode}): {r.stderr}")
        return json.loads(r.stdout)

    # Both tools answer alike before anything is timed: the same top answer, or (a near-tie) another
    # with the same score to 1e-5, the tests' tolerance.
    want = [task.top_pipeline(o) for o in task.pipeline_call(pipe, inputs, 1)]
    got = [task.top_bertkit(o) for o in run_bertkit(inputs)]
    disagree = [i for i, (a, b) in enumerate(zip(want, got)) if a[0] != b[0] and abs(a[1] - b[1]) > 1e-5]
    assert len(got) == len(want) and not disagree, f"top answers differ at inputs {disagree[:10]}"
    max_score_diff = max(abs(a[1] - b[1]) for a, b in zip(want, got))

    for bs in args.hf_batch:
        task.pipeline_call(pipe, inputs[:16], bs)  # warm-up
    hf = {bs: [] for bs in args.hf_batch}
    bk_all, bk_one = [], []
    for _ in range(args.runs):
        for bs in args.hf_batch:
            hf[bs].append(time_once(lambda: task.pipeline_call(pipe, inputs, bs)))
        bk_all.append(time_once(lambda: run_bertkit(inputs)))
        bk_one.append(time_once(lambda: run_bertkit(inputs[:1])))

    n = len(inputs)
    rows = []
    for bs, times in hf.items():
        t = statistics.median(times)
        rows.append({"tool": f"transformers {transformers.__version__} pipeline, batch_size={bs}", "seconds": t,
                     "ms_per_text": 1000 * t / n, "texts_per_s": n / t})
    t_all, t_one = statistics.median(bk_all), statistics.median(bk_one)
    marginal = t_all - t_one
    rows.append({"tool": "bertkit run (one batch), marginal", "seconds": marginal,
                 "ms_per_text": 1000 * marginal / (n - 1), "texts_per_s": (n - 1) / marginal})
    rows.append({"tool": "bertkit run, end to end (process + load + all texts)", "seconds": t_all,
                 "ms_per_text": 1000 * t_all / n, "texts_per_s": n / t_all})
    print(json.dumps({"task": args.task, "texts": n, "threads": args.threads, "runs": args.runs,
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                      "torch": torch.__version__, "bertkit_one_text_seconds": t_one,
                      "top_answers_agree": True, "max_top_score_diff": max_score_diff}))
    for r in rows:
        print(f"{r['tool']:<62} {r['ms_per_text']:8.2f} ms/text {r['texts_per_s']:8.1f} texts/s  ({r['seconds']:.3f} s)")


if __name__ == "__main__":
    main()
