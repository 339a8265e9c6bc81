"""First-step losses of `bertkit finetune` on the problem-type CSVs, from PyTorch.

For golden/data/problems/tiny-cls-{regression,multilabel}.csv: read the CSV with Python's csv module,
turn the label column into float targets (regression: `;`-separated numbers; multi-label: names or
1-based class numbers, `;`-separated, into a multi-hot vector over tiny-cls's id2label), tokenize
the texts with transformers' BertTokenizer (padding to the longest, max_length 128), and run
BertForSequenceClassification (tiny-cls, problem_type set, dropout 0, train mode) with `labels=`:
its `loss` is what bertkit's first step on the same 4 rows (--batch-size 4 --no-shuffle) must print.

    golden/.venv/bin/python golden/generate_problem_types.py   # writes golden/expected/train/problem-types.json
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import csv
import json
from pathlib import Path

import torch
import transformers
from transformers import BertForSequenceClassification, BertTokenizer

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "tiny-cls"
DATA = HERE / "data" / "problems"
OUT = HERE / "expected" / "train" / "problem-types.json"


def targets(cell: str, problem_type: str, labels: list) -> list:
    pieces = [p.strip() for p in cell.split(";")]
    if problem_type == "regression":
        return [float(p) for p in pieces]
    hot = [0.0] * len(labels)
    lower = [l.lower() for l in labels]
    for p in pieces:
        if not p:
            continue
        hot[lower.index(p.lower()) if p.lower() in lower else int(p) - 1] = 1.0
    return hot


def first_step_loss(problem_type: str, fname: str) -> dict:
    model = BertForSequenceClassification.from_pretrained(
        str(FIXTURE), problem_type=problem_type, attn_implementation="eager", hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, classifier_dropout=0.0, dtype=torch.float32)
    model.train()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    tok = BertTokenizer.from_pretrained(str(FIXTURE))
    with open(DATA / fname, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    y = torch.tensor([targets(r["label"], problem_type, labels) for r in rows], dtype=torch.float32)
    enc = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    out = model(**enc, labels=y)
    return {"file": f"golden/data/problems/{fname}", "problem_type": problem_type, "rows": len(rows),
            "targets": y.tolist(), "input_ids": enc["input_ids"].tolist(), "loss": float(out.loss.detach())}


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    doc = {
        "producer": "golden/generate_problem_types.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "regression": first_step_loss("regression", "tiny-cls-regression.csv"),
        "multilabel": first_step_loss("multi_label_classification", "tiny-cls-multilabel.csv"),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT.name}: regression {doc['regression']['loss']:.6f}, multilabel {doc['multilabel']['loss']:.6f}")


if __name__ == "__main__":
    main()
