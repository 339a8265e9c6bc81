"""seqeval goldens for bertkit's entity scores (Sources/BertModel/Tasks/TokenClassification/EntityScores.swift).

Writes `expected/ner/seqeval.json`: a list of cases, each `{name, truth, predicted, default, strict}` where
`truth`/`predicted` are lists of sentences (lists of tags) and `default`/`strict` are what seqeval 1.2.2 returns:
- `default`: `classification_report(truth, predicted, output_dict=True)` (conlleval chunking) plus
  `accuracy_score`;
- `strict`: `classification_report(..., mode="strict", scheme=IOB2, output_dict=True)`, or
  `{"error": "..."}` when seqeval raises (a tag whose prefix is not O, B or I).
Each report is `{"types": {TYPE: {precision, recall, f1, support}}, "micro": {...}, "macro": {...}|null,
"weighted": {...}, "accuracy": float}`; `macro` is null when there is no entity type on either side (numpy's
mean of nothing is NaN).

Cases: hand-made ones for each chunking rule (I- after O, B-X I-Y, a sentence boundary inside an entity,
no entities, tags without a known prefix, E-/S- tags, hyphenated types), then RANDOM_CASES random ones
from a fixed seed: predictions made from the truth by random edits, so that scores are neither 0 nor 1.

    golden/.venv/bin/python golden/generate_ner_metrics.py
"""
import importlib.metadata
import json
import random
import warnings
from pathlib import Path

from seqeval.metrics import accuracy_score, classification_report
from seqeval.scheme import IOB2

from golden_io import write_text

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected" / "ner" / "seqeval.json"
RANDOM_CASES = 120
SEED = 15

HAND = [
    ("readme", [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
     [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]),
    ("orphan I after O", [["O", "I-PER", "I-PER", "O", "B-LOC"]], [["O", "B-PER", "I-PER", "O", "B-LOC"]]),
    ("B-X I-Y is two", [["B-PER", "I-LOC", "O"]], [["B-PER", "I-PER", "O"]]),
    ("I after another type", [["B-ORG", "I-ORG", "I-PER", "I-PER"]], [["B-ORG", "I-ORG", "B-PER", "I-PER"]]),
    ("B B same type", [["B-PER", "B-PER", "I-PER"]], [["B-PER", "I-PER", "I-PER"]]),
    ("sentence boundary ends an entity", [["O", "B-PER", "I-PER"], ["I-PER", "O"]], [["O", "B-PER", "I-PER"], ["B-PER", "O"]]),
    ("no entities", [["O", "O"], ["O"]], [["O", "O"], ["O"]]),
    ("predicted only", [["O", "O", "O"]], [["B-LOC", "I-LOC", "O"]]),
    ("true only", [["B-LOC", "O", "B-ORG"]], [["O", "O", "O"]]),
    ("single tokens", [["B-A"], ["B-B"], ["O"]], [["B-A"], ["B-A"], ["B-B"]]),
    ("hyphenated type", [["B-PER-X", "I-PER-X", "O"]], [["B-PER-X", "I-PER-Y", "O"]]),
    ("prefixless tags", [["PER", "PER", "O", "B-LOC"]], [["PER", "O", "O", "B-LOC"]]),
    ("E and S tags", [["B-LOC", "E-LOC", "S-PER", "O", "E-ORG"]], [["B-LOC", "I-LOC", "S-PER", "S-PER", "E-ORG"]]),
    ("dot and bare prefixes", [["B", "I", ".", "B-", "I-X"]], [["B", "B", ".", "O", "I-X"]]),
    ("empty sentence among others", [[], ["B-PER", "O"]], [[], ["B-PER", "O"]]),
]

TYPES = ["PER", "LOC", "ORG", "MISC"]


def random_tags(rng: random.Random, n: int, iob2: bool) -> list:
    out, prev = [], "O"
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            t = "O"
        elif r < 0.7:
            t = "B-" + rng.choice(TYPES)
        elif iob2 and prev != "O" and rng.random() < 0.8:
            t = "I-" + prev[2:]
        else:
            t = "I-" + rng.choice(TYPES)
        out.append(t)
        prev = t
    return out


def perturb(rng: random.Random, tags: list) -> list:
    out = list(tags)
    for i in range(len(out)):
        r = rng.random()
        if r < 0.08:
            out[i] = "O"
        elif r < 0.14:
            out[i] = rng.choice(["B-", "I-"]) + rng.choice(TYPES)
        elif r < 0.18 and out[i] != "O":
            out[i] = ("I-" if out[i][0] == "B" else "B-") + out[i][2:]
    return out


def report(truth, predicted, strict: bool):
    kwargs = dict(mode="strict", scheme=IOB2) if strict else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = classification_report(truth, predicted, output_dict=True, **kwargs)
    except (ValueError, KeyError) as e:
        return {"error": type(e).__name__}
    def prf(x):
        return {"precision": float(x["precision"]), "recall": float(x["recall"]), "f1": float(x["f1-score"]),
                "support": int(x["support"])}
    macro = d.get("macro avg")
    macro = None if macro is None or macro["precision"] != macro["precision"] else prf(macro)
    return {
        "types": {k: prf(v) for k, v in d.items() if not k.endswith(" avg")},
        "micro": prf(d["micro avg"]), "macro": macro, "weighted": prf(d["weighted avg"]),
        "accuracy": float(accuracy_score(truth, predicted)) if sum(map(len, truth)) else None,
    }


def main() -> None:
    assert importlib.metadata.version("seqeval") == "1.2.2"
    rng = random.Random(SEED)
    cases = [(n, t, p) for n, t, p in HAND]
    for k in range(RANDOM_CASES):
        iob2 = k % 2 == 0
        truth = [random_tags(rng, rng.randint(1, 12), iob2) for _ in range(rng.randint(1, 5))]
        cases.append((f"random {k} ({'IOB2' if iob2 else 'IOB1'})", truth, [perturb(rng, s) for s in truth]))
    out = [{"name": n, "truth": t, "predicted": p, "default": report(t, p, False), "strict": report(t, p, True)}
           for n, t, p in cases]
    # Both modes disagree somewhere, so a test cannot pass with one chunking for the other.
    assert any(c["default"] != c["strict"] for c in out if "error" not in c["strict"])
    write_text(OUT, "[\n" + ",\n".join(json.dumps(c, sort_keys=True, separators=(",", ":")) for c in out) + "\n]\n")
    print(f"wrote {OUT} ({len(out)} cases)")


if __name__ == "__main__":
    main()
