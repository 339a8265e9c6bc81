#!/usr/bin/env python3
"""Record a golden activation file (formats/golden.md) from a transformers BERT, RoBERTa, XLM-RoBERTa, ELECTRA, DistilBERT, MPNet or ALBERT checkpoint.

    golden/.venv/bin/python golden/record.py MODEL_FOLDER --text "Who won?" --pair "Prices fell." \\
        --text "Go!" -o OUT.safetensors
    golden/.venv/bin/python golden/record.py MC_FOLDER --text "The cat sat." --choice "On the mat." \\
        --choice "At the bank." -o OUT.safetensors          # BertForMultipleChoice
    golden/.venv/bin/python golden/record.py MODEL_FOLDER --train BATCH.jsonl --lr 5e-5 -o STEP.safetensors
                                                            # one training step (record_train.py)

It records the way most people do by hand: forward hooks on the modules, named as
`model.named_modules()` names them (`bert.embeddings`, `bert.encoder.layer.0.attention.self`, ...,
`classifier`), plus the model's own outputs with `output_hidden_states=True, output_attentions=True`
(`hidden_states.{k}`, `attentions.{i}`, `last_hidden_state`, `pooler_output`, and the head's fields:
`logits`, `prediction_logits`, `seq_relationship_logits`, `start_logits`, `end_logits`). So most taps
appear twice, under a module path and under an output name; `bertkit verify` compares each of them and
says when the two disagree. `bertkit verify MODEL OUT.safetensors` then checks bertkit against the run.

- Model: `from_pretrained(MODEL_FOLDER, attn_implementation="eager", dtype=float32)`, `eval()`,
  `torch.no_grad()`; the class comes from `config.json`'s `architectures[0]` through HEADS below
  (written to the golden's `architecture` metadata). A `BertModel` whose weights have no pooler is
  loaded with `add_pooling_layer=False`, as it was saved.
- Inputs: each `--text` (with the `--pair` that follows it, if any) is encoded by the folder's own
  tokenizer (`AutoTokenizer`) with `[CLS]`/`[SEP]` and no truncation, then right-padded with
  `pad_token_id` to the longest row (attention_mask 0, token_type_ids 0 on padding).
- A sentence-transformers folder (`modules.json`) also gets `sentence_embedding`: its own modules
  (`SentenceTransformer(folder)`, eager attention) on the same padded inputs.
- Multiple choice: each `--text` is a context and its `--choice`s (every text the same number C) the
  second segments, `[CLS] context [SEP] choice [SEP]`; all B·C rows are padded to the longest and
  the inputs stored as transformers takes them, `[B, C, S]`.
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
    "BertForPreTraining": Head(hooks=("cls.predictions", "cls.seq_relationship"),
                               outputs=("prediction_logits", "seq_relationship_logits")),
    "BertForMaskedLM": Head(hooks=("cls.predictions",), outputs=("logits",)),
    "BertForNextSentencePrediction": Head(hooks=("cls.seq_relationship",), outputs=("logits",)),
    "BertForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "BertForTokenClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "BertForQuestionAnswering": Head(hooks=("qa_outputs",), outputs=("start_logits", "end_logits")),
    # The classifier runs on B·C pooled rows ([B·C, 1]); `logits` is that viewed as [B, C].
    "BertForMultipleChoice": Head(hooks=("classifier",), outputs=("logits",)),
}
# RoBERTa and XLM-RoBERTa (modeling_roberta.py, modeling_xlm_roberta.py): the encoder under `roberta.`,
# the MLM head is `lm_head` (RobertaLMHead), the sequence classifier `classifier` (RobertaClassificationHead:
# dense → tanh → out_proj on <s>; its output is the logits). No pre-training or NSP classes.
# MPNet (modeling_mpnet.py) names its heads as RoBERTa does.
for _prefix in ("Roberta", "XLMRoberta", "MPNet"):
    HEADS.update({
        f"{_prefix}Model": Head(),
        f"{_prefix}ForMaskedLM": Head(hooks=("lm_head",), outputs=("logits",)),
        f"{_prefix}ForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
        f"{_prefix}ForTokenClassification": Head(hooks=("classifier",), outputs=("logits",)),
        f"{_prefix}ForQuestionAnswering": Head(hooks=("qa_outputs",), outputs=("start_logits", "end_logits")),
        f"{_prefix}ForMultipleChoice": Head(hooks=("classifier",), outputs=("logits",)),
    })
# ELECTRA (modeling_electra.py): the encoder under `electra.`, no pooler; `electra.embeddings_project`
# (hooked when embedding_size != hidden_size) is the first layer's input; the generator's logits are
# `generator_lm_head`'s output, the sequence classifier `classifier` (ElectraClassificationHead: dense →
# gelu → out_proj on [CLS]), multiple choice `classifier` after `sequence_summary`; ElectraForPreTraining
# (the discriminator) `discriminator_predictions`, whose output is the logits [B, S].
HEADS.update({
    "ElectraModel": Head(),
    "ElectraForMaskedLM": Head(hooks=("generator_lm_head",), outputs=("logits",)),
    "ElectraForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "ElectraForTokenClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "ElectraForQuestionAnswering": Head(hooks=("qa_outputs",), outputs=("start_logits", "end_logits")),
    "ElectraForMultipleChoice": Head(hooks=("classifier",), outputs=("logits",)),
    "ElectraForPreTraining": Head(hooks=("discriminator_predictions",), outputs=("logits",)),
})
# DistilBERT (modeling_distilbert.py): the encoder under `distilbert.`, no pooler, no token types; the MLM
# head is four modules (vocab_transform → activation → vocab_layer_norm → vocab_projector), hooked at the
# last; sequence classification and multiple choice end in `classifier` after pre_classifier + ReLU.
HEADS.update({
    "DistilBertModel": Head(),
    "DistilBertForMaskedLM": Head(hooks=("vocab_projector",), outputs=("logits",)),
    "DistilBertForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "DistilBertForTokenClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "DistilBertForQuestionAnswering": Head(hooks=("qa_outputs",), outputs=("start_logits", "end_logits")),
    "DistilBertForMultipleChoice": Head(hooks=("classifier",), outputs=("logits",)),
})
# ALBERT (modeling_albert.py): the encoder under `albert.`; AlbertForPreTraining's heads are `predictions`
# (AlbertMLMHead) and `sop_classifier` (sentence order, bertkit's NSP slot); the MLM head is `predictions`.
HEADS.update({
    "AlbertModel": Head(),
    "AlbertForPreTraining": Head(hooks=("predictions", "sop_classifier"), outputs=("prediction_logits", "sop_logits")),
    "AlbertForMaskedLM": Head(hooks=("predictions",), outputs=("logits",)),
    "AlbertForSequenceClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "AlbertForTokenClassification": Head(hooks=("classifier",), outputs=("logits",)),
    "AlbertForQuestionAnswering": Head(hooks=("qa_outputs",), outputs=("start_logits", "end_logits")),
    "AlbertForMultipleChoice": Head(hooks=("classifier",), outputs=("logits",)),
})
MULTIPLE_CHOICE = "BertForMultipleChoice"


def is_multiple_choice(arch: str) -> bool:
    return arch.endswith("ForMultipleChoice")


def is_base_model(arch: str) -> bool:
    """The bare encoder class (`BertModel`, `RobertaModel`, `XLMRobertaModel`)."""
    return arch.endswith("Model") and "For" not in arch

# The encoder modules hooked in each layer (relative to `encoder.layer.{i}`). Attention modules return
# (output, weights); their first element is the tap.
LAYER_HOOKS = ("attention.self", "attention", "intermediate", "output")
# DistilBERT's TransformerBlock (relative to `transformer.layer.{i}`): the same points under its names
# (sa_layer_norm = BERT's attention output, ffn.activation = intermediate, output_layer_norm = output).
# Its `attention` module returns out_lin's output, not the context, so no module gives `attention.self`.
DISTILBERT_LAYER_HOOKS = ("sa_layer_norm", "ffn.activation", "output_layer_norm")
# MPNetAttention's `attn` returns the output projection `o` (BERT's attention.self returns the
# context before it): no bertkit tap is that, so MPNet's layers are tapped from `attention` on.
LAYER_HOOKS_BY_TYPE = {"mpnet": ("attention", "intermediate", "output")}
# ALBERT's AlbertLayer (relative to `encoder.albert_layer_groups.G.albert_layers.J`): `attention` (after its
# LayerNorm), `activation` (BERT's intermediate) and the layer itself (BERT's output). The layers are shared:
# one module runs in several steps, so each call is recorded under its applied index a (0 ..
# num_hidden_layers * inner_group_num - 1, one per AlbertLayer call, as `hidden_states`) in BERT's names,
# `albert.encoder.layer.{a}.attention` / `.intermediate` / `.output`.
ALBERT_LAYER_HOOKS = {"attention": "attention", "activation": "intermediate", "": "output"}
# Families whose positions start after the padding id (create_position_ids_from_input_ids).
PADDING_POSITIONS = ("roberta", "xlm-roberta", "mpnet")


def producer() -> str:
    import transformers

    return f"transformers {transformers.__version__} / torch {torch.__version__.split('+')[0]}"


def architecture(folder: Path) -> str:
    """The transformers class the folder's config.json names (`BertModel` when it names none)."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    arch = (config.get("architectures") or ["BertModel"])[0]
    if arch not in HEADS:
        raise SystemExit(f"error: {folder}/config.json: architecture {arch} has no entry in record.py's HEADS "
                         f"(known: {', '.join(sorted(HEADS))})")
    if (folder / "modules.json").exists() and not is_base_model(arch) and not has_head_weights(folder, arch):
        # sentence-transformers loads AutoModel whatever `architectures` says (all-mpnet-base-v2 names
        # MPNetForMaskedLM over weights without lm_head); bertkit reads such a folder so too.
        arch = arch.split("For")[0] + "Model"
    return arch


def has_head_weights(folder: Path, arch: str) -> bool:
    """Whether the folder's safetensors weights hold a tensor of one of the head's modules."""
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        return any(k.split(".")[0] in HEADS[arch].hooks for k in f.keys())


def load(folder: Path):
    """The model as its class loads it (eval, eager attention, float32), with transformers' loading
    info (`missing_keys`, `unexpected_keys`, `mismatched_keys`) and the class name."""
    import transformers

    arch = architecture(folder)
    cls = getattr(transformers, arch)
    kwargs = dict(attn_implementation="eager", dtype=torch.float32, output_loading_info=True)
    model, info = cls.from_pretrained(str(folder), **kwargs)
    if is_base_model(arch) and info["missing_keys"] and all(k.startswith("pooler.") for k in info["missing_keys"]):
        # Saved from BertModel(add_pooling_layer=False) (or RobertaModel's): config.json cannot say so, the weights do.
        model, info = cls.from_pretrained(str(folder), add_pooling_layer=False, **kwargs)
    model.eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    return model, info, arch


def load_model(folder: Path):
    """The model and its HEADS entry, refusing weights that leave a parameter of the class unset."""
    model, info, arch = load(folder)
    if info["missing_keys"] or info["mismatched_keys"]:
        raise SystemExit(f"error: {folder}: {arch} leaves parameters unset: missing {sorted(info['missing_keys'])}, "
                         f"mismatched {sorted(str(k) for k in info['mismatched_keys'])}")
    return model, HEADS[arch]


def encode(tokenizer, rows, max_positions: int, choices: int = 0):
    """Each row ([text] or [text, pair]) with special tokens, right-padded to the longest; with
    `choices` C the rows are B examples × C choices, example-major, stored as [B, C, S]."""
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

    inputs = {"input_ids": padded(0, pad), "token_type_ids": padded(1, 0), "attention_mask": padded(2, 0)}
    if choices:
        inputs = {k: v.view(len(rows) // choices, choices, S) for k, v in inputs.items()}
    return inputs


def rows_of(examples, arch: str):
    """The tokenizer rows of `examples` ([text], [text, pair] or [context, [choice, ...]]), and C
    (0 unless multiple choice). Multiple choice needs choices, the same number for every text."""
    multiple = is_multiple_choice(arch)
    with_choices = [e for e in examples if len(e) == 2 and isinstance(e[1], list)]
    if not multiple:
        if with_choices:
            raise SystemExit(f"error: --choice is for a …ForMultipleChoice model; this model is {arch}")
        return [list(e) for e in examples], 0
    if len(with_choices) != len(examples):
        raise SystemExit(f"error: {arch} takes a context and its choices: give each --text its --choice options")
    counts = sorted({len(e[1]) for e in examples})
    if len(counts) != 1:
        raise SystemExit(f"error: every --text needs the same number of --choice options (found {counts})")
    return [[e[0], c] for e in examples for c in e[1]], counts[0]


def record(folder: Path, examples) -> dict:
    """Runs the model once and returns every tensor of the golden (inputs, hooks, outputs) by name.
    `examples`: [text], [text, pair], or for multiple choice [context, [choice, ...]]."""
    from transformers import AutoTokenizer

    torch.set_num_threads(1)
    model, head = load_model(folder)
    rows, choices = rows_of(examples, architecture(folder))
    config = model.config
    # RoBERTa's and MPNet's positions start after the padding id (create_position_ids_from_input_ids).
    positions = config.max_position_embeddings - (config.pad_token_id + 1 if config.model_type in PADDING_POSITIONS else 0)
    inputs = encode(AutoTokenizer.from_pretrained(str(folder)), rows, positions, choices)
    names = {m: n for n, m in model.named_modules()}
    base = model.base_model
    modules = [base.embeddings]
    if getattr(base, "embeddings_project", None) is not None:  # ELECTRA with embedding_size != hidden_size
        modules.append(base.embeddings_project)
    distilbert, albert = config.model_type == "distilbert", config.model_type == "albert"
    hooks = DISTILBERT_LAYER_HOOKS if distilbert else LAYER_HOOKS_BY_TYPE.get(config.model_type, LAYER_HOOKS)
    shared = {}  # ALBERT: module -> BERT's tap name under layer {a}, a counted per call
    if albert:
        modules.append(base.encoder.embedding_hidden_mapping_in)
        for group in base.encoder.albert_layer_groups:
            for layer in group.albert_layers:
                shared.update({layer.get_submodule(p): tap for p, tap in ALBERT_LAYER_HOOKS.items()})
    else:
        for layer in (base.transformer.layer if distilbert else base.encoder.layer):
            modules += [layer.get_submodule(p) for p in hooks]
    if albert and base.pooler is not None:
        # AlbertModel's `pooler` is the Linear alone; the pooled output is `pooler_activation`'s (recorded as `albert.pooler`).
        names[base.pooler_activation] = names[base.pooler]
        modules.append(base.pooler_activation)
    elif getattr(base, "pooler", None) is not None:  # ELECTRA and DistilBERT have none
        modules.append(base.pooler)
    # DistilBERT takes no token_type_ids (its tokenizer gives none): the golden stores zeros, the model gets none.
    model_inputs = {k: v for k, v in inputs.items() if not (distilbert and k == "token_type_ids")}
    if distilbert:
        inputs["token_type_ids"] = torch.zeros_like(inputs["token_type_ids"])
    modules += [model.get_submodule(h) for h in head.hooks]

    captured, base_outputs, calls = {}, [], {}

    def hook(module, args, output):
        captured[names[module]] = output[0] if isinstance(output, tuple) else output

    def shared_hook(module, args, output):
        tap = shared[module]
        a = calls.get(tap, 0)
        calls[tap] = a + 1
        captured[f"{base_model_prefix(model)}encoder.layer.{a}.{tap}"] = output[0] if isinstance(output, tuple) else output

    # Under a head, last_hidden_state and pooler_output are only in the base model's own output.
    handles = [m.register_forward_hook(hook) for m in modules] + [m.register_forward_hook(shared_hook) for m in shared]
    handles.append(base.register_forward_hook(lambda module, args, output: base_outputs.append(output)))
    with torch.no_grad():
        out = model(**model_inputs, output_hidden_states=True, output_attentions=True, return_dict=True)
    for h in handles:
        h.remove()

    (base_out,) = base_outputs
    tensors = dict(captured)
    tensors.update({f"hidden_states.{k}": t for k, t in enumerate(out.hidden_states)})
    tensors.update({f"attentions.{i}": t for i, t in enumerate(out.attentions)})
    tensors["last_hidden_state"] = base_out.last_hidden_state
    if getattr(base_out, "pooler_output", None) is not None:  # ELECTRA's and DistilBERT's outputs have none
        tensors["pooler_output"] = base_out.pooler_output
    tensors.update({f: getattr(out, f) for f in head.outputs})
    if (folder / "modules.json").exists():
        tensors["sentence_embedding"] = sentence_embedding(folder, model_inputs)
    tensors = {n: t.detach().to(torch.float32).contiguous().clone() for n, t in tensors.items()}
    assert not set(tensors) & set(inputs), "an activation named like an input"
    tensors.update(inputs)
    return tensors


def base_model_prefix(model) -> str:
    """How names put the encoder under a head (`albert.`); the bare encoder class has none."""
    return model.base_model_prefix + "." if model.base_model is not model else ""


def sentence_embedding(folder: Path, inputs: dict):
    """A sentence-transformers folder's (modules.json) own modules on the same padded inputs: its
    Transformer module with eager attention, then Pooling (and Normalize) as the folder says."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), device="cpu", model_kwargs={"attn_implementation": "eager"}).eval()
    with torch.no_grad():
        return st(dict(inputs))["sentence_embedding"]


def metadata(examples, source: str, arch: str) -> dict:
    """The golden's metadata. `texts` has one entry per row the model runs: multiple choice's
    examples are flattened to [context, choice] pairs, example-major, as bertkit runs them."""
    rows, _ = rows_of(examples, arch)
    texts = [r[0] if len(r) == 1 else r for r in rows]
    return {
        "format": "bertkit-golden",
        "version": "1",
        "texts": json.dumps(texts, ensure_ascii=False, separators=(",", ":")),
        "source": source,
        "producer": producer(),
        "attn_implementation": "eager",
        "architecture": arch,
    }


class _Text(argparse.Action):
    def __call__(self, parser, ns, value, option_string=None):
        ns.rows = (ns.rows or []) + [[value]]


class _Pair(argparse.Action):
    def __call__(self, parser, ns, value, option_string=None):
        if not ns.rows or len(ns.rows[-1]) == 2:
            parser.error("--pair gives the second text of the --text just before it (one --pair per --text, "
                         "and not with --choice)")
        ns.rows[-1].append(value)


class _Choice(argparse.Action):
    def __call__(self, parser, ns, value, option_string=None):
        if not ns.rows or (len(ns.rows[-1]) == 2 and not isinstance(ns.rows[-1][1], list)):
            parser.error("--choice gives a choice for the --text just before it (repeatable; not with --pair)")
        if len(ns.rows[-1]) == 1:
            ns.rows[-1].append([])
        ns.rows[-1][1].append(value)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, metavar="MODEL_FOLDER", help="a transformers model folder (config.json, weights, tokenizer)")
    ap.add_argument("--text", dest="rows", action=_Text, metavar="TEXT", help="one input row (repeatable)")
    ap.add_argument("--pair", dest="rows", action=_Pair, metavar="TEXT", help="the second text of the --text just before it")
    ap.add_argument("--choice", dest="rows", action=_Choice, metavar="TEXT",
                    help="multiple choice: one choice for the --text (the context) just before it (repeatable)")
    ap.add_argument("-o", "--output", type=Path, required=True, help="the golden to write (.safetensors)")
    ap.add_argument("--source", help="the `source` metadata (default: MODEL_FOLDER as given)")
    train = ap.add_argument_group("training step (--train; see record_train.py for the JSONL layouts)")
    train.add_argument("--train", type=Path, metavar="BATCH.jsonl",
                       help="record one training step on this batch (a step golden) instead of activations")
    train.add_argument("--optimizer", choices=("adamw", "adam"), default="adamw")
    train.add_argument("--lr", type=float, default=5e-5)
    train.add_argument("--weight-decay", type=float, default=0.01)
    train.add_argument("--betas", type=float, nargs=2, default=(0.9, 0.999))
    train.add_argument("--eps", type=float, default=1e-8)
    train.add_argument("--clip-norm", type=float, help="clip_grad_norm_ max_norm (default: no clipping)")
    args = ap.parse_args(argv)
    if args.train is not None:
        if args.rows:
            ap.error("--train takes its inputs from BATCH.jsonl; drop --text/--pair/--choice")
        import record_train

        return record_train.main(args)
    if not args.rows:
        ap.error("give at least one --text")
    examples = [list(r) for r in args.rows]
    source = args.source or str(args.model)
    tensors = record(args.model, examples)
    save_safetensors(args.output, tensors, metadata(examples, source, architecture(args.model)))
    shape = "×".join(str(n) for n in tensors["input_ids"].shape)
    print(f"wrote {len(tensors) - 3} activations for {shape} tokens to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
