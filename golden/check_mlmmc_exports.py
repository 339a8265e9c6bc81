#!/usr/bin/env python3
"""Do models bertkit fine-tuned for masked LM and multiple choice reload in transformers with the same outputs?

    swift build && golden/.venv/bin/python golden/check_mlmmc_exports.py .build/debug/bertkit

The given `bertkit` binary fine-tunes the tiny fixtures and exports HF folders (as a user would):

  masked-lm        golden/fixtures/heads/masked-lm/safetensors, `--task masked-lm` on
                   data/mlm/train.txt (5 steps, lr 1e-3, max length 32, seed 1)
  multiple-choice  golden/fixtures/heads/multiple-choice/safetensors, `--task multiple-choice` on
                   data/multiple-choice/train.csv (5 steps, batch 4, lr 1e-3, max length 32, seed 1)

Each folder (without the optimizer state) is kept as golden/fixtures/mlmmc/<task>-finetuned/ (tiny:
~50 kB of weights) and loaded with `from_pretrained(..., output_loading_info=True)` (BertForMaskedLM,
BertForMultipleChoice) in eval mode, on the inputs of the evaluation goldens (expected/mlmmc/
mlm-eval.safetensors, mc-eval.safetensors). Written to expected/mlmmc/exports.safetensors:

  masked-lm.logits        [N, V] at the golden's N labelled positions, and masked-lm.loss (metadata)
  multiple-choice.logits  [B, C], and multiple-choice.loss
  metadata <task>.loading   transformers' missing / unexpected / mismatched keys (JSON; all empty)
  metadata <task>.sha256    of the folder's model.safetensors, so the record stays tied to the fixture
  metadata <task>.changed   names of the tensors that differ from the untrained fixture (JSON)

The Swift test (BertModelTests.TaskExportTests) runs bertkit on the same fixture and inputs and
compares with transformers' logits.
"""
import offline_env  # noqa: F401

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file
from transformers import BertForMaskedLM, BertForMultipleChoice

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from golden_io import save_safetensors  # noqa: E402

FIXTURES = HERE / "fixtures"
EXPECTED = HERE / "expected" / "mlmmc"
TASKS = {
    "masked-lm": (FIXTURES / "heads/masked-lm/safetensors", HERE / "data/mlm/train.txt", BertForMaskedLM, []),
    "multiple-choice": (FIXTURES / "heads/multiple-choice/safetensors", HERE / "data/multiple-choice/train.csv", BertForMultipleChoice,
                        ["--batch-size", "4"]),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bertkit")
    bertkit = ap.parse_args().bertkit
    torch.set_num_threads(1)
    tensors, meta = {}, {"transformers": transformers.__version__, "torch": torch.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        for task, (base, data, cls, extra) in TASKS.items():
            out = Path(tmp) / task
            subprocess.run([bertkit, "finetune", str(base), "--task", task, "--train", str(data), "--steps", "5", "--lr", "1e-3",
                            "--max-length", "32", "--seed", "1", "--report-every", "5", "-o", str(out)] + extra,
                           check=True, capture_output=True)
            keep = FIXTURES / "mlmmc" / f"{task}-finetuned"
            if keep.exists():
                shutil.rmtree(keep)
            keep.mkdir(parents=True)
            for f in sorted(out.iterdir()):
                if f.name != "optimizer.safetensors":
                    shutil.copy(f, keep / f.name)
            model, info = cls.from_pretrained(str(keep), output_loading_info=True)
            model.eval()
            before, after = load_file(str(base / "model.safetensors")), load_file(str(keep / "model.safetensors"))
            changed = sorted(k for k in after if k in before and not torch.equal(before[k], after[k]))
            assert changed, f"{task}: fine-tuning changed nothing"
            for p in model.parameters():
                p.data = p.data.clone()  # see check_exports.py `outputs`: alignment-independent matmuls
            with torch.no_grad():
                if task == "masked-lm":
                    g = load_file(str(EXPECTED / "mlm-eval.safetensors"))
                    o = model(input_ids=g["input_ids"], attention_mask=g["attention_mask"], labels=g["labels"])
                    tensors["masked-lm.logits"] = o.logits[g["labels"] != -100].contiguous()
                else:
                    g = load_file(str(EXPECTED / "mc-eval.safetensors"))
                    b, c = g["logits"].shape
                    o = model(**{k: g[k].view(b, c, -1) for k in ("input_ids", "token_type_ids", "attention_mask")}, labels=g["labels"])
                    tensors["multiple-choice.logits"] = o.logits.contiguous()
            meta[f"{task}.loss"] = repr(o.loss.item())
            meta[f"{task}.loading"] = json.dumps({k: sorted(map(str, v)) for k, v in sorted(info.items())}, sort_keys=True)
            meta[f"{task}.sha256"] = sha256(keep / "model.safetensors")
            meta[f"{task}.changed"] = json.dumps(changed)
            print(f"{task}: loading {meta[f'{task}.loading']}, {len(changed)} tensors changed, loss {o.loss.item():.6f}", file=sys.stderr)
    save_safetensors(EXPECTED / "exports.safetensors", tensors, meta)


if __name__ == "__main__":
    main()
