#!/usr/bin/env python3
"""Step goldens for training every head, and the tiny models they train.

    golden/.venv/bin/python golden/generate_training_heads.py

Writes golden/fixtures/train-heads/<head>/{config.json,model.safetensors} (tiny random models: hidden
16, 2 layers, vocabulary 217 as tiny-cls's) and golden/expected/train/<head>.adamw.safetensors: 5
AdamW steps of transformers' own model and loss (`labels=`, `start_positions`/`end_positions`,
`next_sentence_label`), dropout 0, eager attention; plus token-classification.dropout.safetensors,
one step with every dropout on and its masks recorded (generate_training.recorded_dropout).
Deterministic like generate_training.py, whose helpers it shares. See golden/README.md,
"Training goldens for every head".
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from golden_io import save_safetensors, write_text

from generate_training import (CLS_ID, OPT_CONFIGS, SEP_ID, make_batches, make_optimizer, recorded_dropout,
                               setup_torch, total_grad_norm, versions)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "train-heads"
TRAIN_OUT = HERE / "expected" / "train"
MASK_ID = 6
NUM_LABELS = 3  # token classification
CHOICES = 2  # multiple choice: each batch's 4 rows are 2 examples x 2 choices
DROPOUT_RATES = {"hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.2, "classifier_dropout": 0.3}

CONFIG = dict(vocab_size=217, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
              max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu", initializer_range=0.2,
              layer_norm_eps=1e-12, pad_token_id=0, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)

# head (file stem) -> (transformers class, config changes, tensors of the pre-training base that the
# file also carries: bertkit keeps them, frozen; transformers drops them as unexpected keys)
HEADS = {
    "token-classification": ("BertForTokenClassification", {"num_labels": NUM_LABELS}, ["pooler"]),
    "question-answering": ("BertForQuestionAnswering", {}, []),
    "masked-lm": ("BertForMaskedLM", {}, ["pooler", "nsp"]),
    "masked-lm-untied": ("BertForMaskedLM", {"tie_word_embeddings": False}, []),
    "pre-training": ("BertForPreTraining", {}, []),
    "next-sentence": ("BertForNextSentencePrediction", {}, ["mlm"]),
    "multiple-choice": ("BertForMultipleChoice", {}, []),
}
SHIFT_INVARIANT = {
    "question-answering": ["qa_outputs.bias", f"encoder.layer.{CONFIG['num_hidden_layers'] - 1}.output.LayerNorm.bias"],
    "multiple-choice": ["classifier.bias"],
}
CARRIED_PREFIXES = {"pooler": ("bert.pooler.",), "nsp": ("cls.seq_relationship.",), "mlm": ("cls.predictions.",)}


def canonical(name: str) -> str:
    return name[len("bert."):] if name.startswith("bert.") else name


def base_model():
    """BertForPreTraining with transformers' random init (seed 0); its MLM bias is made non-zero so
    that the bias's path is exercised."""
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForPreTraining(transformers.BertConfig(**CONFIG))
    with torch.no_grad():
        model.cls.predictions.bias.normal_(0, 0.2)
    return model


def make_fixture(key: str, base) -> None:
    """The head model: the base's encoder (and pooler, MLM, NSP where the class has them), new head
    tensors as transformers initialises them (seed 1 + index), and the carried extras."""
    import transformers

    class_name, changes, carried = HEADS[key]
    cfg = transformers.BertConfig(**CONFIG, **changes)
    cfg.architectures = [class_name]
    torch.manual_seed(1 + list(HEADS).index(key))
    model = getattr(transformers, class_name)(cfg)
    base_state = base.state_dict()
    own = model.state_dict()
    for name in own:
        # An untied decoder is its own tensor: copying the base's (the word embeddings) would hide the tie.
        if name in base_state and not (name.startswith("cls.predictions.decoder.") and not cfg.tie_word_embeddings):
            own[name] = base_state[name]
    model.load_state_dict(own)
    if not cfg.tie_word_embeddings:
        with torch.no_grad():
            model.cls.predictions.decoder.bias.normal_(0, 0.2)
    tied = set(getattr(model, "all_tied_weights_keys", {}) or {})
    tensors = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()
               if n not in tied and not n.endswith("position_ids")}
    for c in carried:
        for n, t in base_state.items():
            if n.startswith(CARRIED_PREFIXES[c]) and n not in tied and not n.startswith("cls.predictions.decoder."):
                assert n not in tensors
                tensors[n] = t.detach().clone().contiguous()
    folder = FIXTURES / key
    config = cfg.to_dict()
    for k in ("_name_or_path", "transformers_version", "dtype", "torch_dtype"):
        config.pop(k, None)
    write_text(folder / "config.json", json.dumps(config, indent=2, sort_keys=True) + "\n")
    save_safetensors(folder / "model.safetensors", tensors, {"format": "pt"})


def load(key: str, dropout=None):
    """The fixture as transformers loads it, float32, eager, train(); dropout 0 unless given."""
    import transformers

    class_name = HEADS[key][0]
    rates = dropout or {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "classifier_dropout": 0.0}
    model = getattr(transformers, class_name).from_pretrained(str(FIXTURES / key), attn_implementation="eager",
                                                              dtype=torch.float32, **rates)
    model.train()
    from safetensors import safe_open

    with safe_open(str(FIXTURES / key / "model.safetensors"), framework="pt") as f:
        for n, p in model.named_parameters():  # everything comes from the file, nothing newly initialised
            assert torch.equal(p.detach(), f.get_tensor(n)), n
    return model


def fixture_sha256(key: str) -> str:
    return hashlib.sha256((FIXTURES / key / "model.safetensors").read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Targets: each head's labels for the shared batches (generate_training.make_batches)
# ---------------------------------------------------------------------------------------------


def real_word_positions(batch, r):
    """Positions of row r that are real tokens other than [CLS] and [SEP]."""
    ids, am = batch["input_ids"][r], batch["attention_mask"][r]
    return [i for i in range(ids.shape[0]) if am[i] == 1 and int(ids[i]) not in (CLS_ID, SEP_ID)]


def head_batches(key: str, batches, vocab: int):
    """Per batch: the model inputs and the labels transformers takes (`labels`, `start_positions`, ...)."""
    rng = np.random.default_rng(20261201 + list(HEADS).index(key))
    out = []
    for k, b in enumerate(batches):
        ids, am, tti = b["input_ids"].clone(), b["attention_mask"], b["token_type_ids"]
        rows, seq = ids.shape
        extra = {}
        if key == "token-classification":
            labels = torch.full((rows, seq), -100, dtype=torch.int64)
            for r in range(rows):
                for i in real_word_positions(b, r):
                    if rng.random() >= 0.2:  # some real tokens ignored too (run_ner's continuations)
                        labels[r, i] = int(rng.integers(0, NUM_LABELS))
            extra["labels"] = labels
        elif key == "question-answering":
            start, end = torch.zeros(rows, dtype=torch.int64), torch.zeros(rows, dtype=torch.int64)
            for r in range(rows):
                words = real_word_positions(b, r)
                s = int(rng.integers(0, len(words)))
                e = min(len(words) - 1, s + int(rng.integers(0, 3)))
                start[r], end[r] = words[s], words[e]
            # Clamping: past the end is clamped to S (the ignore index), below 0 to 0 (a real target).
            if k % 2 == 0:
                start[2] = seq + 3
            else:
                end[1] = -2
            if k == 4:
                start[3], end[3] = 0, 0  # the [CLS] answer of an impossible question
            extra["start_positions"], extra["end_positions"] = start, end
        elif key in ("masked-lm", "masked-lm-untied", "pre-training"):
            labels = torch.full((rows, seq), -100, dtype=torch.int64)
            for r in range(rows):
                words = real_word_positions(b, r)
                chosen = [i for i in words if rng.random() < 0.3] or [words[int(rng.integers(0, len(words)))]]
                for i in chosen:
                    labels[r, i] = ids[r, i]
                    u = rng.random()  # the collator's 80 / 10 / 10
                    if u < 0.8:
                        ids[r, i] = MASK_ID
                    elif u < 0.9:
                        ids[r, i] = int(rng.integers(0, vocab))
            extra["labels"] = labels
            if key == "pre-training":
                extra["next_sentence_label"] = torch.tensor(rng.integers(0, 2, size=rows), dtype=torch.int64)
        elif key == "next-sentence":
            nsp = torch.tensor(rng.integers(0, 2, size=rows), dtype=torch.int64)
            if k == 2:
                nsp[3] = -100
            extra["labels"] = nsp
        elif key == "multiple-choice":
            extra["labels"] = torch.tensor(rng.integers(0, CHOICES, size=rows // CHOICES), dtype=torch.int64)
        out.append({"input_ids": ids, "attention_mask": am, "token_type_ids": tti, **extra})
    return out


def forward(model, key: str, b):
    inputs = {n: b[n] for n in ("input_ids", "attention_mask", "token_type_ids")}
    if key == "multiple-choice":
        rows, seq = b["input_ids"].shape
        inputs = {n: t.view(rows // CHOICES, CHOICES, seq) for n, t in inputs.items()}
    labels = {n: b[n] for n in ("labels", "start_positions", "end_positions", "next_sentence_label") if n in b}
    return model(**inputs, **labels)


def reference_loss(key: str, res, b):
    """The loss rebuilt from the formula the README states, to check transformers' own bit for bit."""
    ce = torch.nn.functional.cross_entropy
    if key == "token-classification":
        return ce(res.logits.view(-1, NUM_LABELS), b["labels"].view(-1))
    if key == "question-answering":
        s = res.start_logits.shape[1]
        return (ce(res.start_logits, b["start_positions"].clamp(0, s), ignore_index=s)
                + ce(res.end_logits, b["end_positions"].clamp(0, s), ignore_index=s)) / 2
    if key in ("masked-lm", "masked-lm-untied"):
        return ce(res.logits.view(-1, CONFIG["vocab_size"]), b["labels"].view(-1))
    if key == "pre-training":
        return (ce(res.prediction_logits.view(-1, CONFIG["vocab_size"]), b["labels"].view(-1))
                + ce(res.seq_relationship_logits.view(-1, 2), b["next_sentence_label"].view(-1)))
    if key == "next-sentence":
        return ce(res.logits.view(-1, 2), b["labels"].view(-1))
    return ce(res.logits, b["labels"])


def head_output(key: str, res, b):
    """The head output bertkit's Trainer returns: logits, [B, S, 2] start/end, or the MLM logits at
    the labelled positions only ([N, V], row-major order of the positions)."""
    if key == "question-answering":
        return torch.stack([res.start_logits, res.end_logits], dim=-1)
    if key in ("masked-lm", "masked-lm-untied", "pre-training"):
        logits = res.prediction_logits if key == "pre-training" else res.logits
        keep = b["labels"].view(-1) != -100
        return logits.reshape(-1, CONFIG["vocab_size"])[keep]
    return res.logits


def batch_tensors(hb):
    out = {}
    for k, b in enumerate(hb):
        for n, t in b.items():
            out[f"batch.{k}.{n}"] = t.clone()
    return out


def trained(model):
    """[(canonical name, parameter)] of what the optimizer is given: every parameter the loss reaches."""
    return [(canonical(n), p) for n, p in model.named_parameters()]


def metadata(key: str, kind: str, extra: dict) -> dict:
    meta = {
        "format": "bertkit-train-golden",
        "version": "1",
        "kind": kind,
        "head": key,
        "architecture": HEADS[key][0],
        "fixture": f"golden/fixtures/train-heads/{key}",
        "fixture_sha256": fixture_sha256(key),
        "attn_implementation": "eager",
        "torch_num_threads": "2",
        "param_names": "transformers names with the leading 'bert.' removed",
        # As in generate_training.py: softmax(q.(k+b)) does not depend on the key bias b, so PyTorch's
        # gradient for it is rounding noise and bertkit's is exactly 0.
        "noise_dominated": json.dumps([f"encoder.layer.{i}.attention.self.key.bias"
                                       for i in range(CONFIG["num_hidden_layers"])], separators=(",", ":")),
    }
    # Softmax over positions (QA) or choices (multiple choice) does not change when every logit moves
    # by the same amount: the QA bias and the last LayerNorm's bias (which moves every token's hidden
    # state alike; only qa_outputs reads it), and the one-output classifier's bias of multiple
    # choice, have an exact gradient of 0. Both PyTorch's and bertkit's are rounding noise, which
    # Adam turns into updates of up to ~lr: the tests bound the noise and skip their moments and values.
    meta["shift_invariant"] = json.dumps(SHIFT_INVARIANT.get(key, []), separators=(",", ":"))
    meta.update(versions())
    meta.update(extra)
    return meta


def run_steps(key: str, batches) -> None:
    cfg = OPT_CONFIGS["adamw"]
    model = load(key)
    named = trained(model)
    params = [p for _, p in named]
    opt = make_optimizer(cfg, params)
    hb = head_batches(key, batches, CONFIG["vocab_size"])
    out = batch_tensors(hb)
    losses, lrs, norms = [], [], []
    for step in range(1, 6):
        b = hb[step - 1]
        opt.zero_grad(set_to_none=True)
        res = forward(model, key, b)
        assert torch.equal(res.loss, reference_loss(key, res, b)), key
        losses.append(float(res.loss.detach()))
        res.loss.backward()
        with_grad = [(n, p) for n, p in named if p.grad is not None]
        if step == 1:
            out["logits.0"] = head_output(key, res, b).detach().clone()
            out.update({"grad." + n: p.grad.detach().clone() for n, p in with_grad})
            # Only the untied decoder's unused `cls.predictions.bias` has no gradient (AdamW skips it).
            unused = sorted(n for n, p in named if p.grad is None)
            assert unused == (["cls.predictions.bias"] if key == "masked-lm-untied" else []), unused
        norms.append(float(total_grad_norm([p for _, p in with_grad])))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if step == 1:
            out.update(state(opt, with_grad, "", 1))
            out.update({"param1." + n: p.detach().clone() for n, p in named})
    out.update(state(opt, [(n, p) for n, p in named if p.grad is not None], "5", 5))
    out.update({"param5." + n: p.detach().clone() for n, p in named})
    out["loss"] = torch.tensor(losses, dtype=torch.float32)
    out["lr"] = torch.tensor(lrs, dtype=torch.float32)
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    hyper = dict(cfg)
    hyper["lr_per_step"] = lrs
    meta = metadata(key, "optimizer-steps", {
        "optimizer": json.dumps(hyper, sort_keys=True, separators=(",", ":")),
        "steps": "5",
        "dropout": "0",
        "notes": ("step k (1-based) uses batch.{k-1}; loss/lr/grad_norm[k-1] are before step k's update; "
                  "grad.* = .grad at step 1 of every parameter that has one; exp_avg*/param1 after step 1; "
                  "*5 after step 5; logits.0 = the head output at step 1 (MLM: at the labelled positions)"),
    })
    path = TRAIN_OUT / f"{key}.adamw.safetensors"
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {['%.5f' % x for x in losses]} grad_norm {['%.4f' % x for x in norms]}")


def state(opt, named, suffix: str, expect_step: int) -> dict:
    out = {}
    for name, p in named:
        st = opt.state[p]
        assert float(st["step"]) == expect_step, (name, st["step"])
        out[f"exp_avg{suffix}." + name] = st["exp_avg"].detach().clone()
        out[f"exp_avg_sq{suffix}." + name] = st["exp_avg_sq"].detach().clone()
    return out


def run_token_dropout(batches) -> None:
    """generate_training.run_dropout for token classification: the classifier's dropout is on every
    token ([B, S, H]), after the encoder's sites."""
    key = "token-classification"
    model = load(key, dropout=DROPOUT_RATES)
    b = head_batches(key, batches, CONFIG["vocab_size"])[1]
    with recorded_dropout(seed=4321) as (masks, rates):
        res = forward(model, key, b)
        res.loss.backward()
    layers = CONFIG["num_hidden_layers"]
    sites = ["embeddings"]
    for i in range(layers):
        sites += [f"encoder.layer.{i}.attention.self", f"encoder.layer.{i}.attention.output", f"encoder.layer.{i}.output"]
    sites.append("classifier")
    assert len(masks) == len(sites), (len(masks), len(sites))
    rows, seq = b["input_ids"].shape
    h, heads = CONFIG["hidden_size"], CONFIG["num_attention_heads"]
    for name, m, p in zip(sites, masks, rates):
        want = {"embeddings": ((rows, seq, h), 0.1), "classifier": ((rows, seq, h), 0.3)}.get(name)
        if want is None:
            want = ((rows, heads, seq, seq), 0.2) if name.endswith(".self") else ((rows, seq, h), 0.1)
        assert tuple(m.shape) == want[0] and p == want[1], (name, m.shape, p)
    out = batch_tensors([b])
    out.update({f"mask.{k}": m for k, m in enumerate(masks)})
    out["loss"] = res.loss.detach().reshape(1).clone()
    out["logits.0"] = res.logits.detach().clone()
    out.update({"grad." + n: p.grad.detach().clone() for n, p in trained(model)})
    meta = metadata(key, "dropout", {
        "dropout": json.dumps(DROPOUT_RATES, sort_keys=True, separators=(",", ":")),
        "mask_sites": json.dumps(sites, separators=(",", ":")),
        "notes": ("one training-mode forward/backward on batch.0 (the shared batch 1) with the dropout masks "
                  "mask.{k} (U8, 1 = kept) in torch's call order (mask_sites), applied as input * mask * (1/(1-p))"),
    })
    path = TRAIN_OUT / f"{key}.dropout.safetensors"
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {float(res.loss.detach()):.6f}")


def main() -> None:
    setup_torch()
    base = base_model()
    for key in HEADS:
        make_fixture(key, base)
    batches = make_batches(CONFIG["vocab_size"])
    assert all(b["input_ids"].shape[1] <= CONFIG["max_position_embeddings"] for b in batches)
    for key in HEADS:
        run_steps(key, batches)
    run_token_dropout(batches)
    total = sum((TRAIN_OUT / f"{k}.adamw.safetensors").stat().st_size for k in HEADS)
    total += (TRAIN_OUT / "token-classification.dropout.safetensors").stat().st_size
    fixtures = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"head goldens: {total} bytes, fixtures: {fixtures} bytes")
    assert total < 2.5e6 and fixtures < 4e5, (total, fixtures)  # committed: keep them small


if __name__ == "__main__":
    main()
