#!/usr/bin/env python3
"""MLM and multiple-choice evaluation goldens: transformers' loss on the batches bertkit builds.

Masked LM: the first DOCS documents of golden/data/mlm/heldout.txt, tokenized by the tiny masked-lm
fixture (golden/fixtures/heads/masked-lm/safetensors) with truncation at MAX_LENGTH, masked as
bertkit masks them for evaluation (document i with the stream (SEED, i, 0); mlm_masking.py mirrors
bertkit's draws), padded and run through BertForMaskedLM in eval mode with `labels=`. Records per
case (standard, and whole-word):

  input_ids, attention_mask, labels   [B, S] int64, the masked batch
  logits                              [N, V] f32 at the N labelled positions, row-major order
  metadata loss                       transformers' loss (the mean CE over the labelled positions)
  metadata perplexity, accuracy       exp(loss); argmax == label over the labelled positions

-> expected/mlmmc/mlm-eval.safetensors and mlm-eval-wwm.safetensors.

Multiple choice: golden/data/multiple-choice/test.csv through the tiny multiple-choice fixture, rows
built as run_swag.py builds them ((sent1, f"{sent2} {ending_i}"), truncation=True at MAX_LENGTH),
padded to the longest, [B, C, S]; records input_ids, token_type_ids, attention_mask (flattened to
[B·C, S]), logits [B, C], labels [B], and the loss and accuracy -> expected/mlmmc/mc-eval.safetensors.

    golden/.venv/bin/python golden/generate_mlm_mc_eval.py
"""
import offline_env  # noqa: F401

import csv
import math
import sys
from pathlib import Path

import torch
import transformers
from transformers import AutoTokenizer, BertForMaskedLM, BertForMultipleChoice

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from golden_io import save_safetensors  # noqa: E402
from mlm_masking import mask_row  # noqa: E402

OUT = HERE / "expected" / "mlmmc"
MLM = HERE / "fixtures" / "heads" / "masked-lm" / "safetensors"
MC = HERE / "fixtures" / "heads" / "multiple-choice" / "safetensors"
DOCS, MAX_LENGTH, SEED = 12, 32, 3


def pad(rows, value):
    width = max(map(len, rows))
    return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.int64)


def versions() -> dict:
    return {"torch": torch.__version__, "transformers": transformers.__version__}


def mlm(whole_word: bool) -> None:
    tok = AutoTokenizer.from_pretrained(str(MLM))
    model = BertForMaskedLM.from_pretrained(str(MLM)).eval()
    docs = (HERE / "data" / "mlm" / "heldout.txt").read_text(encoding="utf-8").splitlines()[:DOCS]
    rows = [tok(d, truncation=True, max_length=MAX_LENGTH)["input_ids"] for d in docs]
    masked = [mask_row(r, tok, SEED, i, 0, whole_word=whole_word) for i, r in enumerate(rows)]
    input_ids, labels = pad([m[0] for m in masked], tok.pad_token_id), pad([m[1] for m in masked], -100)
    attention = pad([[1] * len(r) for r in rows], 0)
    with torch.no_grad():
        out = model(input_ids=input_ids, attention_mask=attention, labels=labels)
    at = labels != -100
    logits = out.logits[at]
    accuracy = (logits.argmax(-1) == labels[at]).double().mean().item()
    loss = out.loss.item()
    meta = {"loss": repr(loss), "perplexity": repr(math.exp(loss)), "accuracy": repr(accuracy), "seed": str(SEED),
            "max_length": str(MAX_LENGTH), "documents": str(DOCS), "whole_word_mask": str(whole_word).lower(), **versions()}
    name = "mlm-eval-wwm.safetensors" if whole_word else "mlm-eval.safetensors"
    save_safetensors(OUT / name, {"input_ids": input_ids, "attention_mask": attention, "labels": labels,
                                  "logits": logits.contiguous()}, meta)
    print(f"{name}: {int(at.sum())} masked, loss {loss:.6f}, perplexity {math.exp(loss):.3f}, accuracy {accuracy:.4f}")


def mc() -> None:
    tok = AutoTokenizer.from_pretrained(str(MC))
    model = BertForMultipleChoice.from_pretrained(str(MC)).eval()
    with open(HERE / "data" / "multiple-choice" / "test.csv", encoding="utf-8", newline="") as f:
        examples = list(csv.DictReader(f))
    endings = [k for k in ("ending0", "ending1", "ending2", "ending3")]
    first = [e["sent1"] for e in examples for _ in endings]
    second = [f"{e['sent2']} {e[k]}" for e in examples for k in endings]
    enc = tok(first, second, truncation=True, max_length=MAX_LENGTH, padding="longest", return_tensors="pt")
    b, c = len(examples), len(endings)
    labels = torch.tensor([int(e["label"]) for e in examples], dtype=torch.int64)
    with torch.no_grad():
        out = model(**{k: v.view(b, c, -1) for k, v in enc.items()}, labels=labels)
    accuracy = (out.logits.argmax(-1) == labels).double().mean().item()
    meta = {"loss": repr(out.loss.item()), "accuracy": repr(accuracy), "max_length": str(MAX_LENGTH), **versions()}
    save_safetensors(OUT / "mc-eval.safetensors", {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
                                                   "attention_mask": enc["attention_mask"], "logits": out.logits.contiguous(),
                                                   "labels": labels}, meta)
    print(f"mc-eval.safetensors: loss {out.loss.item():.6f}, accuracy {accuracy:.4f}")


def main() -> None:
    torch.set_num_threads(1)
    mlm(False)
    mlm(True)
    mc()


if __name__ == "__main__":
    main()
