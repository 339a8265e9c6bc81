#!/usr/bin/env python3
"""golden/data/mlm/{train,heldout}.txt: plain text, one document a line, from agnews-mini.

Each document is an agnews-mini row's title and description joined as one paragraph ("Title.
Description", no second full stop when the title already ends a sentence). train.txt holds the
240 rows of agnews-mini/train.csv, heldout.txt the first 60 of test.csv (the MLM learnability test's
held-out perplexity; 60 keeps its evaluation a few seconds in a debug build). The text is the
project's own (agnews-mini/README.md: CC0). Standard library only, deterministic.

    python3 golden/make_mlm_corpus.py
"""
import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    for split, rows_expected, name, keep in (("train", 240, "train", 240), ("test", 120, "heldout", 60)):
        with open(DATA / "agnews-mini" / f"{split}.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == rows_expected
        docs = [f"{t} {d}" if t.endswith((".", "?", "!")) else f"{t}. {d}" for _, t, d in rows[:keep]]
        assert all(d.strip() and "\n" not in d for d in docs)
        (DATA / "mlm").mkdir(exist_ok=True)
        (DATA / "mlm" / f"{name}.txt").write_text("\n".join(docs) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
