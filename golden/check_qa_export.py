#!/usr/bin/env python3
"""Does transformers load a question-answering model that bertkit fine-tuned, with the same start/end logits?

    swift build && golden/.venv/bin/python golden/check_qa_export.py .build/debug/bertkit
    # writes golden/expected/question-answering/export.acts.safetensors and export.json

The given `bertkit` binary fine-tunes tiny-bert for question answering on golden/data/squad-mini (COMMAND
below: 5 AdamW steps, no dropout, windows of 64 with stride 16) and saves a transformers folder. The
folder is loaded as BertForQuestionAnswering (record.py's `load`, with transformers' loading info) and
record.py records a golden (every tap, `qa_outputs`, `start_logits`, `end_logits`) on three dev
questions with their contexts (TEXTS), padded as one batch. export.json holds the loading info, the
command, and the sha256 of the folder's config.json and model.safetensors.

The Swift test (CLITests.FinetuneQuestionAnsweringTests) runs the same command, checks the files
have the recorded sha256 (the record is of the model today's bertkit makes), the loading info is clean,
and `bertkit verify` of its folder against the golden passes. Deterministic: no times or paths.
"""
import offline_env  # noqa: F401

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import record  # noqa: E402
from golden_io import write_text  # noqa: E402

OUT = HERE / "expected/question-answering"
COMMAND = ["finetune", "golden/fixtures/tiny-bert", "--task", "question-answering", "--train", "golden/data/squad-mini/train.json",
           "--max-seq-len", "64", "--doc-stride", "16", "--steps", "5", "--lr", "1e-3", "--seed", "1", "--no-dropout"]
TEXTS = [  # short: tiny-bert's 217-token vocabulary splits most words into letters, and it takes 64 positions
    ("When was it finished?", "The wall was finished in 1889."),
    ("How many arches?", "It has seven arches."),
    ("What trees?", "Most trees are oak and beech."),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bertkit", help="the bertkit binary to run (e.g. .build/debug/bertkit)")
    args = ap.parse_args()
    import torch
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "qa"
        subprocess.run([str(Path(args.bertkit).resolve())] + COMMAND + ["-o", str(folder)], check=True, capture_output=True, cwd=ROOT)
        _, info, arch = record.load(folder)
        assert arch == "BertForQuestionAnswering", arch
        argv = [str(folder)]
        for q, c in TEXTS:
            argv += ["--text", q, "--pair", c]
        record.main(argv + ["-o", str(OUT / "export.acts.safetensors"), "--source", "bertkit " + " ".join(COMMAND)])
        doc = {"producer": f"transformers {transformers.__version__} / torch {torch.__version__.split('+')[0]}",
               "command": COMMAND, "architecture": arch,
               "missing_keys": sorted(info["missing_keys"]), "unexpected_keys": sorted(info["unexpected_keys"]),
               "mismatched_keys": sorted(str(k) for k in info["mismatched_keys"]),
               "files": sorted(p.name for p in folder.iterdir()),
               "sha256": {f: sha256(folder / f) for f in ("config.json", "model.safetensors")}}
    write_text(OUT / "export.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(json.dumps(doc, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
