#!/usr/bin/env python3
"""Record a golden activation file (formats/golden.md) from a transformers BERT checkpoint.

    golden/.venv/bin/python golden/record.py MODEL_FOLDER --text "Who won?" --pair "Prices fell." \\
        --text "Go!" -o OUT.safetensors

It records the way most people do by hand: forward hooks on the modules, named as
`model.named_modules()` names them (`bert.embeddings`, `bert.encoder.layer.0.attention.self`, ...,
`classifier`), plus the model's own outputs with `output_hidden_states=True, output_attentions=True`
(`hidden_states.{k}`, `attentions.{i}`, `last_hidden_state`, `pooler_output`, `logits`). So most taps
appear twice, under a module path and under an output name; `bertkit verify` compares each of them and
says when the two disagree. `bertkit verify MODEL OUT.safetensors` then checks bertkit against the run.

- Model: `from_pretrained(MODEL_FOLDER, attn_implementation="eager", dtype=float32)`, `eval()`,
  `torch.no_grad()`; the class comes from `config.json`'s `architectures[0]` through HEADS below.
- Inputs: each `--text` (with the `--pair` that follows it, if any) is encoded by the folder's own
  tokenizer (`AutoTokenizer`) with `[CLS]`/`[SEP]` and no truncation, then right-padded with
  `pad_token_id` to the longest row (attention_mask 0, token_type_ids 0 on padding).
- Deterministic: one torch thread, the writer of golden_io.py (sorted names and metadata keys).
  Offline: offline_env.py is imported before transformers.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from golden_io import save_safetensors


@dataclass(frozen=True)
class Head:
    """What a transformers class adds on top of the encoder: the modules hooked (names relative to
    the model) and the fields of its output recorded under their own names."""
    hooks: tuple = ()
    outputs: tuple = ()


# One entry per architecture (config.json `architectures[0]` = transformers class name). The encoder
# taps, `last_hidden_state` and `pooler_output` (from the base model's output) and `hidden_states` /
# `attentions` are recorded for every entry; a head adds its own modules and output fields here.
HEADS = {
    "BertModel": Head(),
    "BertForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
}

# The encoder modules hooked in each layer (relative to `encoder.layer.{i}`). Attention modules return
# (output, weights); their first element is the tap.
LAYER_HOOKS = ("attention.self", "attention", "intermediate", "output")


def producer() -> str:
    import transformers

    return f"transformers {transformers.__version__} / torch {torch.__version__.split('+')[0]}"


def load_model(folder: Path):
    import transformers

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    arch = (config.get("architectures") or ["BertModel"])[0]
    if arch not in HEADS:
        raise SystemExit(f"error: {folder}/config.json: architecture {arch} has no entry in record.py's HEADS "
                         f"(known: {', '.join(sorted(HEADS))})")
    model = getattr(transformers, arch).from_pretrained(str(folder), attn_implementation="eager",
                                                        dtype=torch.float32).eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    return model, HEADS[arch]


def encode(tokenizer, rows, max_positions: int):
    """Each row ([text] or [text, pair]) with special tokens, right-padded to the longest."""
    encoded = []
    for r in rows:
        e = tokenizer(*r, return_token_type_ids=True, return_attention_mask=True, truncation=False)
        if len(e["input_ids"]) > max_positions:
            raise SystemExit(f"error: text {r!r} is {len(e['input_ids'])} tokens; the model takes at most {max_positions}")
        encoded.append((e["input_ids"], e["token_type_ids"], e["attention_mask"]))
    S = max(len(e[0]) for e in encoded)
    pad = tokenizer.pad_token_id

    def padded(k, value):
        return torch.tensor([e[k] + [value] * (S - len(e[k])) for e in encoded], dtype=torch.int64)

    return {"input_ids": padded(0, pad), "token_type_ids": padded(1, 0), "attention_mask": padded(2, 0)}


def record(folder: Path, rows) -> dict:
    """Runs the model once and returns every tensor of the golden (inputs, hooks, outputs) by name."""
    from transformers import AutoTokenizer

    torch.set_num_threads(1)
    model, head = load_model(folder)
    inputs = encode(AutoTokenizer.from_pretrained(str(folder)), rows, model.config.max_position_embeddings)
    names = {m: n for n, m in model.named_modules()}
    base = model.base_model
    modules = [base.embeddings]
    for layer in base.encoder.layer:
        modules += [layer.get_submodule(p) for p in LAYER_HOOKS]
    if base.pooler is not None:
        modules.append(base.pooler)
    modules += [model.get_submodule(h) for h in head.hooks]

    captured, base_outputs = {}, []

    def hook(module, args, output):
        captured[names[module]] = output[0] if isinstance(output, tuple) else output

    # Under a head, last_hidden_state and pooler_output are only in the base model's own output.
    handles = [m.register_forward_hook(hook) for m in modules]
    handles.append(base.register_forward_hook(lambda module, args, output: base_outputs.append(output)))
    with torch.no_grad():
        out = model(**inputs, output_hidden_states=True, output_attentions=True, return_dict=True)
    for h in handles:
        h.remove()

    (base_out,) = base_outputs
    tensors = dict(captured)
    tensors.update({f"hidden_states.{k}": t for k, t in enumerate(out.hidden_states)})
    tensors.update({f"attentions.{i}": t for i, t in enumerate(out.attentions)})
    tensors["last_hidden_state"] = base_out.last_hidden_state
    if base_out.pooler_output is not None:
        tensors["pooler_output"] = base_out.pooler_output
    tensors.update({f: getattr(out, f) for f in head.outputs})
    tensors = {n: t.detach().to(torch.float32).contiguous().clone() for n, t in tensors.items()}
    assert not set(tensors) & set(inputs), "an activation named like an input"
    tensors.update(inputs)
    return tensors


def metadata(rows, source: str) -> dict:
    texts = [r[0] if len(r) == 1 else r for r in rows]
    return {
        "format": "bertkit-golden",
        "version": "1",
        "texts": json.dumps(texts, ensure_ascii=False, separators=(",", ":")),
        "source": source,
        "producer": producer(),
        "attn_implementation": "eager",
    }


class _Text(argparse.Action):
    def __call__(self, parser, ns, value, option_string=None):
        ns.rows = (ns.rows or []) + [[value]]


class _Pair(argparse.Action):
    def __call__(self, parser, ns, value, option_string=None):
        if not ns.rows or len(ns.rows[-1]) == 2:
            parser.error("--pair gives the second text of the --text just before it (one --pair per --text)")
        ns.rows[-1].append(value)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, metavar="MODEL_FOLDER", help="a transformers model folder (config.json, weights, tokenizer)")
    ap.add_argument("--text", dest="rows", action=_Text, metavar="TEXT", help="one input row (repeatable)")
    ap.add_argument("--pair", dest="rows", action=_Pair, metavar="TEXT", help="the second text of the --text just before it")
    ap.add_argument("-o", "--output", type=Path, required=True, help="the golden to write (.safetensors)")
    ap.add_argument("--source", help="the `source` metadata (default: MODEL_FOLDER as given)")
    args = ap.parse_args(argv)
    if not args.rows:
        ap.error("give at least one --text")
    rows = [list(r) for r in args.rows]
    source = args.source or str(args.model)
    tensors = record(args.model, rows)
    save_safetensors(args.output, tensors, metadata(rows, source))
    print(f"wrote {len(tensors) - 3} activations for {tensors['input_ids'].shape[0]}×{tensors['input_ids'].shape[1]} "
          f"tokens to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
