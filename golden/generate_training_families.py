#!/usr/bin/env python3
"""Step goldens for training RoBERTa, XLM-RoBERTa, ELECTRA, DistilBERT, MPNet and ALBERT heads, in generate_training_heads.py's format.

    golden/.venv/bin/python golden/generate_training_families.py [NAME ...]   # default: every TRAINED fixture

For each fixture of TRAINED (golden/fixtures/families/<name>/safetensors, golden/generate_roberta.py),
5 AdamW steps of transformers' own model and loss (`labels=`), dropout 0, eager attention, on 5
batches of 4 corpus texts encoded by the fixture's own tokenizer (right-padded with <pad> = 1, so
RoBERTa's padding-mask positions are exercised). Writes golden/expected/train/families/<name>.adamw.safetensors
with the tensors generate_training_heads.py writes (batch.k.*, loss, lr, grad_norm, logits.0,
grad.*, exp_avg*.*, param1.*, param5.*), under bertkit's canonical names (`roberta.` / `electra.` / `distilbert.` dropped;
`generator_predictions.{dense,LayerNorm}` → `cls.predictions.transform.*`, `generator_lm_head.bias` → `cls.predictions.bias`;
`lm_head.dense` → `cls.predictions.transform.dense`, `lm_head.layer_norm` →
`cls.predictions.transform.LayerNorm`, `lm_head.bias` → `cls.predictions.bias`,
`classifier.out_proj` → `classifier`; `classifier.dense` stays; DistilBERT's (golden/generate_distilbert.py)
`transformer.layer.N.attention.q_lin` → `encoder.layer.N.attention.self.query`, …, `pre_classifier` →
`classifier.dense`, `vocab_transform` / `vocab_layer_norm` / `vocab_projector.bias` → `cls.predictions.*`;
MPNet's `mpnet.` dropped and `attention.attn.{q,k,v,o}` / `attention.LayerNorm` → BERT's layer names, its
`encoder.relative_attention_bias.weight` kept), so TrainingHeadGoldenTests runs them. DistilBERT gets no
token_type_ids (the batch stores zeros). The MPNet goldens carry `grad.encoder.relative_attention_bias.weight`:
the bias's gradient summed over the batch and every layer. ALBERT's (golden/generate_albert.py) `albert.` is
dropped, `encoder.albert_layer_groups.G.albert_layers.J.*` → `encoder.layer.{G·inner_group_num+J}.*` under
BERT's layer names, `encoder.embedding_hidden_mapping_in` → `embeddings_project`, `pooler` → `pooler.dense`,
`predictions.{dense,LayerNorm,bias}` → `cls.predictions.*`: its gradients of shared layers sum both steps.

Targets: single-label classes, multi-hot floats (multi-label), floats (regression), and for the
masked LM 30% of each row's real tokens other than <s>/</s> (at least one) as labels, replaced
80/10/10 by <mask> / a random id / themselves (the collator's rule). Seeds fixed; one torch thread.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
from pathlib import Path

import numpy as np
import torch
from golden_io import save_safetensors

from generate_training import OPT_CONFIGS, make_optimizer, setup_torch, total_grad_norm, versions
from generate_training_heads import batch_tensors, state

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "families"
TRAIN_OUT = HERE / "expected" / "train" / "families"
# Sequence classification (single-label, and regression through the same dense + tanh head) and the
# masked LM; XLM-R's sequence classifier for the family's other vocabulary. (The multi-label loss is
# BERT's, tested there; each golden is ~0.8 MB.)
TRAINED = ["roberta-sequence-classification", "roberta-regression", "roberta-masked-lm", "xlmr-sequence-classification",
           # ELECTRA (golden/generate_electra.py): dense + gelu classifier and the embedding_size-wide generator,
           # both through embeddings_project.
           "electra-sequence-classification", "electra-masked-lm",
           # DistilBERT (golden/generate_distilbert.py): pre_classifier + ReLU, the vocab_transform masked LM.
           "distilbert-sequence-classification", "distilbert-masked-lm",
           # MPNet (golden/generate_mpnet.py): the relative position bias, RoBERTa-like heads.
           "mpnet-sequence-classification", "mpnet-masked-lm",
           # ALBERT (golden/generate_albert.py): 4 layers over 2 shared groups (each stored layer's gradient
           # is the sum over the 2 steps that run it), embedding_hidden_mapping_in, the embedding_size-wide MLM.
           "albert-sequence-classification", "albert-masked-lm",
           # ELECTRA's discriminator (ElectraForPreTraining): dense → gelu_new → dense_prediction on every token,
           # BCEWithLogitsLoss over the attention mask's tokens.
           "electra-pre-training"]
ROWS, BATCHES, MAX_LEN = 4, 5, 40
# The masked LM's default seed left 5 of a 400-element weight's gradients under 100·eps (1e-6), past
# the 1% TrainingHeadGoldenTests exempts (Adam amplifies their rounding): this batch draw has none.
# DistilBERT's and MPNet's goldens were each drawn when the family stood 5th and 6th in TRAINED (the
# default seed counts the index): pinned so that adding a family before them leaves them as recorded.
SEEDS = {"roberta-masked-lm": 11, "distilbert-sequence-classification": 20261202 + 4, "distilbert-masked-lm": 20261202 + 5,
         "mpnet-sequence-classification": 20261202 + 4, "mpnet-masked-lm": 20261202 + 5,
         # ALBERT's second group's query/key gradients sit near 100·eps: this draw leaves 3 of 400 there (the 1% allowed).
         "albert-sequence-classification": 20261202 + 10, "albert-masked-lm": 2,
         # Drawn when it stood 11th (index 10), before ALBERT's two were merged ahead of it.
         "electra-pre-training": 20261202 + 10}
CANONICAL = {"lm_head.dense.": "cls.predictions.transform.dense.", "lm_head.layer_norm.": "cls.predictions.transform.LayerNorm.",
             "classifier.out_proj.": "classifier.",
             "generator_predictions.dense.": "cls.predictions.transform.dense.",
             "generator_predictions.LayerNorm.": "cls.predictions.transform.LayerNorm.",
             "generator_lm_head.bias": "cls.predictions.bias", "sequence_summary.summary.": "classifier.dense.",
             # DistilBERT (modeling_distilbert.py) under BERT's names.
             "transformer.layer.": "encoder.layer.", "pre_classifier.": "classifier.dense.",
             "vocab_transform.": "cls.predictions.transform.dense.", "vocab_layer_norm.": "cls.predictions.transform.LayerNorm.",
             "vocab_projector.bias": "cls.predictions.bias",
             "discriminator_predictions.dense_prediction.": "classifier.", "discriminator_predictions.dense.": "classifier.dense."}
# DistilBERT's TransformerBlock parameter names (after `encoder.layer.N.`) as BertLayer's.
DISTILBERT_LAYER = {"attention.q_lin.": "attention.self.query.", "attention.k_lin.": "attention.self.key.",
                    "attention.v_lin.": "attention.self.value.", "attention.out_lin.": "attention.output.dense.",
                    "sa_layer_norm.": "attention.output.LayerNorm.", "ffn.lin1.": "intermediate.dense.",
                    "ffn.lin2.": "output.dense.", "output_layer_norm.": "output.LayerNorm."}
# Each family's dropout keys, all set to 0 (configuration_distilbert.py spells them its own way).
# MPNetConfig has no classifier_dropout: MPNetClassificationHead drops with hidden_dropout_prob.
NO_DROPOUT = {"distilbert": dict(dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0, qa_dropout=0.0),
              "mpnet": dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
              "albert": dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout_prob=0.0)}
BERT_NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
# MPNet's layer spellings (modeling_mpnet.py) → BERT's, within `encoder.layer.N.`.
MPNET_LAYER = {"attention.attn.q.": "attention.self.query.", "attention.attn.k.": "attention.self.key.",
               "attention.attn.v.": "attention.self.value.", "attention.attn.o.": "attention.output.dense.",
               "attention.LayerNorm.": "attention.output.LayerNorm."}


# ALBERT's spellings (modeling_albert.py) → bertkit's canonical names, after `albert.` is dropped; its
# `encoder.albert_layer_groups.G.albert_layers.J.` is stored layer G · inner_group_num + J (albert_name).
ALBERT = {"encoder.embedding_hidden_mapping_in.": "embeddings_project.", "pooler.weight": "pooler.dense.weight",
          "pooler.bias": "pooler.dense.bias", "predictions.dense.": "cls.predictions.transform.dense.",
          "predictions.LayerNorm.": "cls.predictions.transform.LayerNorm.", "predictions.bias": "cls.predictions.bias"}
ALBERT_LAYER = {"attention.query.": "attention.self.query.", "attention.key.": "attention.self.key.",
                "attention.value.": "attention.self.value.", "attention.dense.": "attention.output.dense.",
                "attention.LayerNorm.": "attention.output.LayerNorm.", "ffn.": "intermediate.dense.",
                "ffn_output.": "output.dense.", "full_layer_layer_norm.": "output.LayerNorm."}


def albert_name(c: str, inner: int) -> str:
    for a, b in ALBERT.items():
        if c.startswith(a):
            return b + c[len(a):]
    parts = c.split(".", 5)
    if parts[:2] != ["encoder", "albert_layer_groups"] or parts[3] != "albert_layers":
        return c
    rest = parts[5]
    # ffn_output. before ffn. (a prefix of it)
    for a, b in sorted(ALBERT_LAYER.items(), key=lambda kv: -len(kv[0])):
        if rest.startswith(a):
            return f"encoder.layer.{int(parts[2]) * inner + int(parts[4])}.{b}{rest[len(a):]}"
    raise SystemExit(f"error: {c} has no BERT name")


def load(name: str):
    import transformers

    folder = FIXTURES / name / "safetensors"
    config = json.loads((folder / "config.json").read_text("utf-8"))
    arch = config["architectures"][0]
    model = getattr(transformers, arch).from_pretrained(str(folder), attn_implementation="eager", dtype=torch.float32,
                                                        **NO_DROPOUT.get(config["model_type"], BERT_NO_DROPOUT))
    model.train()
    return model, transformers.AutoTokenizer.from_pretrained(str(folder)), arch


def trained(model):
    """[(canonical name, parameter)] of what the optimizer is given (named_parameters drops tied copies:
    a tied `lm_head.decoder.bias` is `lm_head.bias`, i.e. bertkit's `cls.predictions.bias`)."""
    out = []
    for n, p in model.named_parameters():
        prefix = model.base_model_prefix + "."  # roberta., electra., distilbert., mpnet.
        c = n[len(prefix):] if n.startswith(prefix) else n
        parts = c.split(".", 3)
        if len(parts) == 4 and parts[:2] == ["encoder", "layer"]:
            for a, b in MPNET_LAYER.items():
                if parts[3].startswith(a):
                    c = ".".join(parts[:3]) + "." + b + parts[3][len(a):]
        if hasattr(model, "lm_head") and p is model.lm_head.bias:
            c = "cls.predictions.bias"
        for a, b in CANONICAL.items():
            if c.startswith(a):
                c = b + c[len(a):]
        if model.config.model_type == "albert":
            c = albert_name(c, model.config.inner_group_num)
        if model.config.model_type == "distilbert" and c.startswith("encoder.layer."):
            i, rest = c[len("encoder.layer."):].split(".", 1)
            for a, b in DISTILBERT_LAYER.items():
                if rest.startswith(a):
                    c = f"encoder.layer.{i}.{b}{rest[len(a):]}"
                    break
            else:
                raise SystemExit(f"error: {n} has no BERT name")
        out.append((c, p))
    assert len({c for c, _ in out}) == len(out)
    return out


def make_batches(name: str, tokenizer, config):
    texts = [json.loads(line)["text"] for line in (HERE / "corpus" / "texts.jsonl").read_text("utf-8").splitlines()]
    texts = [t for t in texts if len(tokenizer(t)["input_ids"]) >= 6][:200]  # a few real tokens to label
    rng = np.random.default_rng(SEEDS.get(name, 20261202 + TRAINED.index(name)))
    out = []
    for k in range(BATCHES):
        rows = [texts[int(i)] for i in rng.choice(200, size=ROWS, replace=False)]
        e = tokenizer(rows, padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt", return_token_type_ids=True)
        b = {"input_ids": e["input_ids"].clone(), "attention_mask": e["attention_mask"], "token_type_ids": e["token_type_ids"]}
        if config.model_type == "distilbert":  # no token types: the model takes none, the golden stores zeros
            b["token_type_ids"] = torch.zeros_like(b["token_type_ids"])
        assert (b["attention_mask"] == 0).any() or k > 0, "the first batch has padding"
        if "ForMaskedLM" in config.architectures[0]:
            ids = b["input_ids"]
            labels = torch.full(ids.shape, -100, dtype=torch.int64)
            special = {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}
            for r in range(ROWS):
                words = [i for i in range(ids.shape[1]) if int(ids[r, i]) not in special]
                chosen = [i for i in words if rng.random() < 0.3] or [words[int(rng.integers(0, len(words)))]]
                for i in chosen:
                    labels[r, i] = ids[r, i]
                    u = rng.random()
                    if u < 0.8:
                        ids[r, i] = tokenizer.mask_token_id
                    elif u < 0.9:
                        ids[r, i] = int(rng.integers(0, config.vocab_size))
            b["labels"] = labels
        elif "ForPreTraining" in config.architectures[0]:  # replaced (1) or original (0), as a generator would leave them
            b["labels"] = torch.tensor(rng.integers(0, 2, size=tuple(b["input_ids"].shape)), dtype=torch.int64)
        elif config.problem_type == "regression":
            b["labels"] = torch.tensor(rng.normal(size=(ROWS, config.num_labels)), dtype=torch.float32).view(ROWS, -1)
        elif config.problem_type == "multi_label_classification":
            b["labels"] = torch.tensor(rng.integers(0, 2, size=(ROWS, config.num_labels)), dtype=torch.float32)
        else:
            b["labels"] = torch.tensor(rng.integers(0, config.num_labels, size=ROWS), dtype=torch.int64)
        out.append(b)
    return out


def head_output(res, b, config):
    if "ForMaskedLM" in config.architectures[0]:
        keep = b["labels"].view(-1) != -100
        return res.logits.reshape(-1, config.vocab_size)[keep]
    return res.logits


def run_steps(name: str) -> None:
    cfg = OPT_CONFIGS["adamw"]
    model, tokenizer, arch = load(name)
    named = trained(model)
    opt = make_optimizer(cfg, [p for _, p in named])
    batches = make_batches(name, tokenizer, model.config)
    out = batch_tensors(batches)
    losses, lrs, norms = [], [], []
    for step in range(1, 6):
        b = batches[step - 1]
        opt.zero_grad(set_to_none=True)
        res = model(**{k: v for k, v in b.items() if not (k == "token_type_ids" and model.config.model_type == "distilbert")})
        losses.append(float(res.loss.detach()))
        res.loss.backward()
        with_grad = [(n, p) for n, p in named if p.grad is not None]
        assert len(with_grad) == len(named), sorted(n for n, p in named if p.grad is None)
        if step == 1:
            out["logits.0"] = head_output(res, b, model.config).detach().clone()
            out.update({"grad." + n: p.grad.detach().clone() for n, p in with_grad})
        norms.append(float(total_grad_norm([p for _, p in with_grad])))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if step == 1:
            out.update(state(opt, with_grad, "", 1))
            out.update({"param1." + n: p.detach().clone() for n, p in named})
    out.update(state(opt, named, "5", 5))
    out.update({"param5." + n: p.detach().clone() for n, p in named})
    out["loss"] = torch.tensor(losses, dtype=torch.float32)
    out["lr"] = torch.tensor(lrs, dtype=torch.float32)
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    hyper = dict(cfg)
    hyper["lr_per_step"] = lrs
    # Stored layers (ALBERT's groups × inner_group_num).
    layers = model.config.num_hidden_groups * model.config.inner_group_num if model.config.model_type == "albert" \
        else model.config.num_hidden_layers
    meta = {
        "format": "bertkit-train-golden", "version": "1", "kind": "optimizer-steps", "head": name, "architecture": arch,
        "fixture": f"golden/fixtures/families/{name}/safetensors", "attn_implementation": "eager",
        "param_names": "bertkit canonical names (generate_training_families.py CANONICAL)",
        # softmax(q.(k+b)) does not depend on the key bias b: PyTorch's gradient is rounding noise, bertkit's 0.
        "noise_dominated": json.dumps([f"encoder.layer.{i}.attention.self.key.bias" for i in range(layers)], separators=(",", ":")),
        "shift_invariant": "[]",
        "optimizer": json.dumps(hyper, sort_keys=True, separators=(",", ":")), "steps": "5", "dropout": "0",
        "notes": "as generate_training_heads.py: step k uses batch.{k-1}; grad.* at step 1; param1/exp_avg* after step 1; *5 after step 5",
    }
    meta.update(versions())
    path = TRAIN_OUT / f"{name}.adamw.safetensors"
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {['%.5f' % x for x in losses]} grad_norm {['%.4f' % x for x in norms]}")


def main() -> None:
    import sys

    setup_torch()
    for name in sys.argv[1:] or TRAINED:  # a subset by name, or every fixture
        assert name in TRAINED, f"{name} is not one of {TRAINED}"
        run_steps(name)


if __name__ == "__main__":
    main()
