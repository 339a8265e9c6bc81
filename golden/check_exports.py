#!/usr/bin/env python3
"""Does transformers load what bertkit exports? Every head fixture, in every format, through bertkit.

    swift build && golden/.venv/bin/python golden/check_exports.py .build/debug/bertkit

For each folder golden/fixtures/heads/<name>/<format>/ (written by generate_heads.py), the given
`bertkit` binary converts it to a .bkm and the .bkm to a transformers folder
(`bertkit convert SRC m.bkm`, `bertkit convert m.bkm hf`). The folder is then loaded with the
original class (`from_pretrained(..., output_loading_info=True)`, through record.py's `load`, so a
BertModel without a pooler loads as one) and compared with the original (the safetensors fixture):

  missing_keys / unexpected_keys / mismatched_keys   transformers' loading info for the export
  tensors_identical    every state_dict tensor of the export equals the original's, bit for bit
                       (tied copies included: they are the same tensors after tying)
  outputs              the model-output fields compared (last_hidden_state, logits, ...)
  max_abs_difference   the largest |export - original| over those outputs, on the inputs of
                       golden/expected/heads/<name>.acts.safetensors (both models' tensors copied
                       to fresh memory first: see `outputs`)
  sha256               of the export's config.json and model.safetensors

into golden/expected/heads/exports.json (sorted keys; no times or paths, so reruns give the same
bytes). The Swift tests (CLITests.HeadConvertTests) read it: every entry must be clean, and today's
exporter must still write files with the recorded sha256, so the record stays true of the code.
"""

import offline_env  # noqa: F401

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import record  # noqa: E402
from generate_heads import EXPECTED, FIXTURES, FORMATS, HEADS  # noqa: E402
from golden_io import write_text  # noqa: E402

OUTPUT_FIELDS = ("last_hidden_state", "pooler_output", "prediction_logits", "seq_relationship_logits", "logits",
                 "start_logits", "end_logits")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def golden_inputs(name: str) -> dict:
    from safetensors.torch import load_file

    g = load_file(str(EXPECTED / f"{name}.acts.safetensors"))
    return {k: g[k] for k in ("input_ids", "attention_mask", "token_type_ids")}


def outputs(model, inputs) -> dict:
    # from_pretrained maps the safetensors file, so a tensor's address follows its offset in the
    # file, and torch's CPU matmul takes a different summation path for some alignments: the same
    # bytes at other offsets changed multiple-choice's logits by 1.2e-7. Fresh copies make both
    # models' tensors equally aligned, so what is compared is the weights, not where they lay.
    with torch.no_grad():
        for p in model.parameters():
            p.data = p.data.clone()
        out = model(**inputs, return_dict=True)
    return {f: getattr(out, f) for f in OUTPUT_FIELDS if getattr(out, f, None) is not None}


def check(bertkit: str, name: str, fmt: str, tmp: Path) -> dict:
    src = FIXTURES / name / fmt
    bkm, hf = tmp / f"{name}-{fmt}.bkm", tmp / f"{name}-{fmt}-hf"
    for a, b in ((src, bkm), (bkm, hf)):
        subprocess.run([bertkit, "convert", str(a), str(b)], check=True, capture_output=True)
    original, _, arch = record.load(FIXTURES / name / "safetensors")
    exported, info, exported_arch = record.load(hf)
    assert exported_arch == arch, (name, fmt, exported_arch)
    want, got = original.state_dict(), exported.state_dict()
    identical = want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)
    inputs = golden_inputs(name)
    a, b = outputs(original, inputs), outputs(exported, inputs)
    assert a.keys() == b.keys()
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    return {
        "architecture": arch,
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": sorted(str(k) for k in info["mismatched_keys"]),
        "tensors_identical": identical,
        "outputs": sorted(a),
        "max_abs_difference": diff,
        "files": sorted(p.name for p in hf.iterdir()),
        "sha256": {f: sha256(hf / f) for f in ("config.json", "model.safetensors")},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bertkit", help="the bertkit binary to run (e.g. .build/debug/bertkit)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    import transformers

    exports = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in HEADS:
            for fmt in FORMATS:
                if not (FIXTURES / name / fmt).exists():
                    continue
                r = check(args.bertkit, name, fmt, Path(tmp))
                exports[f"{name}/{fmt}"] = r
                clean = not (r["missing_keys"] or r["unexpected_keys"] or r["mismatched_keys"])
                print(f"{name}/{fmt}: {r['architecture']} {'clean' if clean else 'NOT CLEAN'}, "
                      f"tensors {'identical' if r['tensors_identical'] else 'DIFFER'}, "
                      f"max |diff| {r['max_abs_difference']:.1e}", file=sys.stderr)
    doc = {"producer": f"transformers {transformers.__version__} / torch {torch.__version__.split('+')[0]}",
           "exports": exports}
    write_text(EXPECTED / "exports.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
