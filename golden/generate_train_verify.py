#!/usr/bin/env python3
"""Step goldens recorded the way a user records one: `golden/record.py --train` on a model folder and
a JSONL batch, for `bertkit verify MODEL STEP --train` (Tests/CLITests/VerifyTrainTests.swift,
Tests/BertVerifyTests/StepVerifierTests.swift).

    golden/.venv/bin/python golden/generate_train_verify.py

Writes, for token classification, question answering and masked LM (tied decoder):
- golden/fixtures/train-verify/<head>/: the tiny model of golden/fixtures/train-heads/<head>
  (hidden 16, 2 layers) with tiny-cls's tokenizer (vocab 217), so record.py can tokenize;
- golden/data/train-verify/<head>.jsonl: a batch of 3 examples in the head's JSONL layout;
- golden/expected/train-verify/<head>.step.safetensors: record.py --train on the two, AdamW lr 1e-3,
  weight decay 0.1 (large enough that the step moves every parameter visibly).
Deterministic: the batch is written here, record.py's step is single-threaded and deterministic.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import json
import shutil
from pathlib import Path

from golden_io import write_text

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "train-verify"
DATA = HERE / "data" / "train-verify"
OUT = HERE / "expected" / "train-verify"
TOKENIZER = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")

BATCHES = {
    "token-classification": [
        {"tokens": ["the", "quick", "brown", "fox"], "ner_tags": [0, 1, 2, 1]},
        {"tokens": ["people", "in", "the", "city", "won"], "ner_tags": [2, 0, 0, 1, 0]},
        {"tokens": ["stock", "prices", "fell"], "ner_tags": [1, 2, 0]},  # "prices": two sub-tokens, one label
    ],
    "question-answering": [
        {"question": "who won?", "context": "the team won the game today.",
         "answers": {"text": ["the team"], "answer_start": [0]}},
        {"question": "what fell?", "context": "stock prices fell.", "answers": {"text": ["stock prices"], "answer_start": [0]}},
        {"question": "where is the cat?", "context": "the dog sat on the mat.", "answers": {"text": [], "answer_start": []}},
    ],
    "masked-lm": [
        {"text": "the cat [MASK] on the mat.", "labels": ["sat"]},
        {"text": "the [MASK] brown fox can jump over the lazy [MASK].", "labels": ["quick", "dog"]},
        {"text": "stock prices [MASK] today.", "labels": ["rose"]},
    ],
}


def make_fixture(head: str) -> Path:
    folder = FIXTURES / head
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(HERE / "fixtures" / "train-heads" / head / name, folder / name)
    for name in TOKENIZER:
        shutil.copyfile(HERE / "fixtures" / "tiny-cls" / name, folder / name)
    return folder


def main() -> None:
    import os

    import record_train

    os.chdir(HERE.parent)  # the metadata's `source` is the repo-relative folder

    for head, rows in BATCHES.items():
        folder = make_fixture(head)
        batch = DATA / f"{head}.jsonl"
        write_text(batch, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
        rel = lambda p: str(p.relative_to(HERE.parent))  # noqa: E731  (repo-relative paths in the metadata)
        args = argparse.Namespace(model=Path(rel(folder)), train=Path(rel(batch)), output=OUT / f"{head}.step.safetensors",
                                  optimizer="adamw", lr=1e-3, weight_decay=0.1, betas=(0.9, 0.999), eps=1e-8, clip_norm=None)
        record_train.main(args)
    total = sum(p.stat().st_size for p in OUT.glob("*.step.safetensors"))
    print(f"train-verify goldens: {total} bytes")
    assert total < 1e6, total  # committed: keep them small


if __name__ == "__main__":
    main()
