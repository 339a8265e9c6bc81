#!/usr/bin/env python3
"""MLM masking statistics of transformers' collators, for bertkit's masker to be held against.

bertkit does not reproduce torch's generator, so the masks cannot be bit-equal; what is compared
is the rules and the proportions. On the rows of ROWS (tokenized by the tiny masked-lm fixture's
tokenizer, the specials included; the collator pads them to the longest), the collator runs DRAWS
times (one generator seeded with SEED) and this records, per row and position:

  chosen        how often the position was given a label (masked)
  mask          ... and its input became [MASK]
  random        ... became another id than the original (the random replacement; a random draw that
                hits the original id counts as kept, in bertkit's tally as here)
  kept          ... stayed the original id
  masked_per_row_mean   the mean count of labelled positions per row
  whole_words   (whole-word only) draws where some word was partly masked: must be 0

Default: transformers 5.23's DataCollatorForLanguageModeling (mlm_probability 0.15, 80/10/10)
-> expected/mlmmc/masking.json. `--whole-word` under golden/.venv-tf (transformers 4.57.6, the last
with DataCollatorForWholeWordMask) -> expected/mlmmc/masking-wwm.json.

    golden/.venv/bin/python golden/generate_mlm_masking.py
    golden/.venv-tf/bin/python golden/generate_mlm_masking.py --whole-word
"""
import offline_env  # noqa: F401

import argparse
import json
import sys
from pathlib import Path

import torch
import transformers
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from golden_io import write_text  # noqa: E402

TOKENIZER = HERE / "fixtures" / "heads" / "masked-lm" / "safetensors"
OUT = HERE / "expected" / "mlmmc"
SEED = 0
DRAWS = 4000
# Real words of the tiny vocabulary, unknown words that split into ## pieces, a literal [MASK],
# a word outside the vocabulary's characters ([UNK]) and rows of different lengths (padding).
ROWS = [
    "the quick brown fox jumped over the lazy dog",
    "stock market prices fell today",
    "hello world [MASK] tokenizers split ☃ into unknown",
    "cat",
    "the team won the game and the people of the city were happy",
]


def word_split(ids, labelled, tok):
    """True when a word (a token and its ## continuations) is partly labelled."""
    tokens = tok.convert_ids_to_tokens(ids)
    words, cur = [], []
    for i, t in enumerate(tokens):
        if t.startswith("##") and cur:
            cur.append(i)
        else:
            if cur:
                words.append(cur)
            cur = [i]
    if cur:
        words.append(cur)
    return any(0 < sum(labelled[i] for i in w) < len(w) for w in words if all(ids[i] not in tok.all_special_ids for i in w))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--whole-word", action="store_true")
    whole = ap.parse_args().whole_word
    torch.manual_seed(SEED)
    tok = AutoTokenizer.from_pretrained(str(TOKENIZER))
    rows = [tok(t)["input_ids"] for t in ROWS]
    if whole:
        assert transformers.__version__.startswith("4."), "DataCollatorForWholeWordMask: run under golden/.venv-tf"
        from transformers import DataCollatorForWholeWordMask

        collate = DataCollatorForWholeWordMask(tok, mlm_probability=0.15, seed=SEED + 1)
    else:
        from transformers import DataCollatorForLanguageModeling

        collate = DataCollatorForLanguageModeling(tok, mlm_probability=0.15, seed=SEED + 1)
    width = max(map(len, rows))
    tally = {k: [[0] * width for _ in rows] for k in ("chosen", "mask", "random", "kept")}
    split_words = 0
    masked_total = [0] * len(rows)
    for _ in range(DRAWS):
        b = collate([{"input_ids": r} for r in rows])
        for r, ids in enumerate(rows):
            labels, inputs = b["labels"][r].tolist(), b["input_ids"][r].tolist()
            labelled = [lab != -100 for lab in labels]
            masked_total[r] += sum(labelled)
            if whole and word_split(ids, labelled, tok):
                split_words += 1
            for p in range(width):
                if not labelled[p]:
                    continue
                assert p < len(ids) and labels[p] == ids[p]
                tally["chosen"][r][p] += 1
                if inputs[p] == tok.mask_token_id:
                    tally["mask"][r][p] += 1
                elif inputs[p] == ids[p]:
                    tally["kept"][r][p] += 1
                else:
                    tally["random"][r][p] += 1
    out = {
        "collator": type(collate).__name__,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "texts": ROWS,
        "rows": rows,
        "draws": DRAWS,
        "mlm_probability": 0.15,
        "special_ids": sorted(tok.all_special_ids),
        "tokens": len(tok),
        "masked_per_row_mean": [m / DRAWS for m in masked_total],
        **tally,
    }
    if whole:
        out["whole_words_split"] = split_words
    OUT.mkdir(parents=True, exist_ok=True)
    name = "masking-wwm.json" if whole else "masking.json"
    write_text(OUT / name, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
