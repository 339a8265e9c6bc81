#!/usr/bin/env python3
"""Reference generator for bertkit's fine-tuning goldens and its small labelled data sets.

    golden/.venv/bin/python golden/generate_training.py                  # goldens + data
    golden/.venv/bin/python golden/generate_training.py --only goldens   # golden/expected/train/*
    golden/.venv/bin/python golden/generate_training.py --only data      # golden/data/**
    golden/.venv/bin/python golden/generate_training.py --check-learnability [--lr 5e-5] [--epochs 3]
        # fine-tunes all-MiniLM-L6-v2 on agnews-mini in PyTorch and prints accuracy per epoch
        # (slow: a few minutes on 2 cores; writes nothing)

Deterministic: fixed seeds, sorted keys, no timestamps, torch.set_num_threads(2). Running it twice
gives byte-identical files with the pinned golden/requirements.txt environment.
The goldens depend on golden/fixtures/tiny-cls (made by golden/generate.py): regenerate them
whenever that fixture changes (its sha256 is recorded in every file's metadata).
See the "Training goldens and data" section of golden/README.md for what every file is.
"""

import os

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import contextlib
import csv
import hashlib
import io
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from golden_io import save_safetensors, write_bytes, write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURE = HERE / "fixtures" / "tiny-cls"
FIXTURE_REL = "golden/fixtures/tiny-cls"
TRAIN_OUT = HERE / "expected" / "train"
DATA = HERE / "data"
AGNEWS = DATA / "agnews-mini"
MINILM = Path(os.environ.get("BERTKIT_MINILM", REPO / ".cache" / "models" / "all-MiniLM-L6-v2"))

NUM_THREADS = 2

def setup_torch() -> None:
    torch.set_num_threads(NUM_THREADS)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def versions() -> dict:
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}


# ============================================================================================
# Part 1: step-by-step training goldens on the tiny classifier
# ============================================================================================

CLS_ID, SEP_ID, PAD_ID = 4, 5, 0
FIRST_WORD_ID = 7  # ids 1..6 are [unused0] [unused1] [UNK] [CLS] [SEP] [MASK]

# Padded length of each batch and, per row, (length of segment A incl. [CLS] and its [SEP],
# length of segment B incl. its [SEP] or 0). Row lengths <= padded length; the longest row fills it.
BATCH_LAYOUT = [
    (7, [(7, 0), (5, 0), (4, 3), (3, 0)]),
    (12, [(6, 6), (9, 0), (12, 0), (4, 0)]),
    (5, [(5, 0), (3, 2), (4, 0), (5, 0)]),
    (10, [(10, 0), (3, 0), (5, 4), (8, 0)]),
    (9, [(4, 0), (9, 0), (6, 3), (7, 0)]),
]
BATCH_LABELS = [[0, 3, 1, 4], [2, 2, 0, 1], [4, 1, 3, 0], [1, 0, 2, 3], [3, 4, 1, 2]]


def make_batches(vocab_size: int):
    """Five fixed batches of 4 rows: [CLS] A [SEP] (B [SEP]) then right padding with 0."""
    rng = np.random.default_rng(20240611)
    batches = []
    for (seq, rows), labels in zip(BATCH_LAYOUT, BATCH_LABELS):
        ids = np.zeros((4, seq), dtype=np.int64)
        tti = np.zeros((4, seq), dtype=np.int64)
        am = np.zeros((4, seq), dtype=np.int64)
        for r, (la, lb) in enumerate(rows):
            assert la >= 3 or (la >= 2 and lb == 0)
            n = la + lb
            assert n <= seq
            row = [CLS_ID] + list(rng.integers(FIRST_WORD_ID, vocab_size, size=la - 2)) + [SEP_ID]
            if lb:
                row += list(rng.integers(FIRST_WORD_ID, vocab_size, size=lb - 1)) + [SEP_ID]
                tti[r, la:n] = 1
            ids[r, :n] = row
            am[r, :n] = 1
        assert am.sum(axis=1).max() == seq  # dynamic padding: padded to the longest row
        batches.append({
            "input_ids": torch.from_numpy(ids),
            "attention_mask": torch.from_numpy(am),
            "token_type_ids": torch.from_numpy(tti),
            "labels": torch.tensor(labels, dtype=torch.int64),
        })
    return batches


def canonical(name: str) -> str:
    return name[len("bert."):] if name.startswith("bert.") else name


def load_tiny(problem_type=None):
    from transformers import BertForSequenceClassification

    kwargs = dict(attn_implementation="eager", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                  classifier_dropout=0.0, dtype=torch.float32)
    if problem_type is not None:
        kwargs["problem_type"] = problem_type
    model = BertForSequenceClassification.from_pretrained(str(FIXTURE), **kwargs)
    model.train()
    assert model.config.num_labels == 5
    assert model.config.hidden_dropout_prob == 0.0 and model.config.attention_probs_dropout_prob == 0.0
    assert model.config.classifier_dropout == 0.0
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # Every parameter comes from the fixture file (nothing newly initialised), names map 1:1.
    from safetensors import safe_open

    with safe_open(str(FIXTURE / "model.safetensors"), framework="pt") as f:
        file_names = sorted(f.keys())
        named = dict(model.named_parameters())
        assert sorted(named) == file_names, (sorted(named), file_names)
        for k in file_names:
            assert torch.equal(named[k].detach(), f.get_tensor(k)), k
    return model


def named_params(model):
    """[(canonical name, parameter)] in model order; canonical = transformers name without `bert.`."""
    out = [(canonical(n), p) for n, p in model.named_parameters()]
    assert len({n for n, _ in out}) == len(out)
    assert all(n.startswith(("embeddings.", "encoder.", "pooler.", "classifier.")) for n, _ in out)
    return out


def recorded_grads(model, prefix: str) -> dict:
    """Clone every parameter's .grad under `{prefix}{canonical name}`, checking the mapping."""
    out = {}
    for full, p in model.named_parameters():
        assert p.grad is not None, full
        assert p.grad.shape == p.shape and p.grad.dtype == torch.float32
        out[prefix + canonical(full)] = p.grad.detach().clone()
    # Re-check through the module tree: the recorded tensor under each canonical name is the .grad
    # of the parameter that name denotes (bert.-prefixed for the encoder, bare for the classifier).
    for name, t in out.items():
        cname = name[len(prefix):]
        mod_path = cname if cname.startswith("classifier.") else "bert." + cname
        p = model.get_parameter(mod_path)
        assert torch.equal(t, p.grad) and t.data_ptr() != p.grad.data_ptr(), name
    return out


def total_grad_norm(params) -> torch.Tensor:
    """The norm clip_grad_norm_ computes: 2-norm of the per-parameter 2-norms (foreach=False)."""
    return torch.nn.utils.get_total_norm([p.grad for p in params], norm_type=2.0, foreach=False)


def forward(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                 token_type_ids=batch["token_type_ids"], labels=batch["labels"])


def batch_tensors(batches, labels_key="labels"):
    out = {}
    for k, b in enumerate(batches):
        for key in ("input_ids", "attention_mask", "token_type_ids"):
            out[f"batch.{k}.{key}"] = b[key].clone()
        out[f"batch.{k}.labels"] = b[labels_key].clone()
    return out


def fixture_sha256() -> str:
    return hashlib.sha256((FIXTURE / "model.safetensors").read_bytes()).hexdigest()


def base_metadata(kind: str, extra: dict) -> dict:
    meta = {
        "format": "bertkit-train-golden",
        "version": "1",
        "kind": kind,
        "fixture": FIXTURE_REL,
        "fixture_sha256": fixture_sha256(),
        "dropout": "0",
        "attn_implementation": "eager",
        "torch_num_threads": str(NUM_THREADS),
        "param_names": "transformers BertForSequenceClassification names with the leading 'bert.' removed",
        # softmax(q.(k+b)) does not depend on the key bias b, so its exact gradient is 0 and the stored
        # one is f32 rounding noise (|g| ~ 1e-8 ~ eps): Adam turns that noise into updates of up to ~lr.
        # bertkit computes them as exactly 0 (Backward.swift), so its tests check bertkit's exact zeros,
        # PyTorch's |g| <= 3e-8, and that only weight decay moves them.
        "noise_dominated": json.dumps([f"encoder.layer.{i}.attention.self.key.bias" for i in range(3)],
                                      separators=(",", ":")),
    }
    meta.update(versions())
    meta.update(extra)
    return meta


OPT_CONFIGS = {
    "adam": {"optimizer": "torch.optim.Adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
             "weight_decay": 0.0, "amsgrad": False, "foreach": False, "fused": False,
             "clip_grad_norm": None, "schedule": "constant"},
    "adamw": {"optimizer": "torch.optim.AdamW", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
              "weight_decay": 0.1, "amsgrad": False, "foreach": False, "fused": False,
              "clip_grad_norm": None, "schedule": "constant"},
    "adamw-clip-warmup": {"optimizer": "torch.optim.AdamW", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
                          "weight_decay": 0.01, "amsgrad": False, "foreach": False, "fused": False,
                          "clip_grad_norm": {"max_norm": 0.5, "norm_type": 2.0, "foreach": False},
                          "schedule": "transformers.get_linear_schedule_with_warmup(num_warmup_steps=2, "
                                      "num_training_steps=5)",
                          "num_warmup_steps": 2, "num_training_steps": 5},
}


def make_optimizer(cfg, params):
    common = dict(lr=cfg["lr"], betas=tuple(cfg["betas"]), eps=cfg["eps"], weight_decay=cfg["weight_decay"],
                  amsgrad=False, foreach=False, fused=False)
    if cfg["optimizer"] == "torch.optim.Adam":
        return torch.optim.Adam(params, **common)
    return torch.optim.AdamW(params, **common)


def state_tensors(opt, named, prefix_avg, prefix_sq, expect_step):
    out = {}
    for name, p in named:
        st = opt.state[p]
        assert float(st["step"]) == expect_step, (name, st["step"])
        out[prefix_avg + name] = st["exp_avg"].detach().clone()
        out[prefix_sq + name] = st["exp_avg_sq"].detach().clone()
    return out


def run_optimizer_golden(key: str, batches) -> None:
    from transformers import get_linear_schedule_with_warmup

    cfg = OPT_CONFIGS[key]
    model = load_tiny()
    named = named_params(model)
    params = [p for _, p in named]
    opt = make_optimizer(cfg, params)
    sched = None
    if cfg["schedule"] != "constant":
        sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=cfg["num_warmup_steps"],
                                                num_training_steps=cfg["num_training_steps"])
    out = batch_tensors(batches)
    losses, lrs, norms, coefs = [], [], [], []
    for step in range(1, 6):
        batch = batches[step - 1]
        opt.zero_grad(set_to_none=True)
        res = forward(model, batch)
        if step == 1:
            out["logits.0"] = res.logits.detach().clone()
        losses.append(float(res.loss.detach()))
        res.loss.backward()
        if step == 1:
            out.update(recorded_grads(model, "grad."))
        norm = total_grad_norm(params)
        if cfg["clip_grad_norm"] is not None:
            clipped = torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad_norm"]["max_norm"], norm_type=2.0,
                                                     foreach=False)
            assert torch.equal(clipped, norm)
            # The factor clip_grad_norm_ multiplied every gradient by (1.0 when not clipped).
            coefs.append(float(torch.clamp(cfg["clip_grad_norm"]["max_norm"] / (norm + 1e-6), max=1.0)))
        norms.append(float(norm))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        if step == 1:
            out.update(state_tensors(opt, named, "exp_avg.", "exp_avg_sq.", 1))
            out.update({"param1." + n: p.detach().clone() for n, p in named})
    out.update(state_tensors(opt, named, "exp_avg5.", "exp_avg_sq5.", 5))
    out.update({"param5." + n: p.detach().clone() for n, p in named})
    out["loss"] = torch.tensor(losses, dtype=torch.float32)
    out["lr"] = torch.tensor(lrs, dtype=torch.float32)
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    if coefs:
        out["clip_coef"] = torch.tensor(coefs, dtype=torch.float32)
    hyper = dict(cfg)
    hyper["lr_per_step"] = lrs
    meta = base_metadata("optimizer-steps", {
        "optimizer": json.dumps(hyper, sort_keys=True, separators=(",", ":")),
        "steps": "5",
        "loss": "mean cross-entropy (BertForSequenceClassification, single_label_classification)",
        "notes": ("step k (1-based) uses batch.{k-1}; loss/lr/grad_norm[k-1] are before step k's update; "
                  "grad.* = raw .grad at step 1 (before clipping); exp_avg*/param1 after step 1; "
                  "*5 after step 5; weight decay applies to every parameter (no no-decay groups)"),
    })
    path = TRAIN_OUT / f"tiny-cls.{key}.safetensors"
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {['%.6f' % x for x in losses]} lr {lrs} "
          f"grad_norm {['%.4f' % x for x in norms]}" + (f" clip_coef {['%.4f' % c for c in coefs]}" if coefs else ""))


def run_trajectory(batches) -> None:
    cfg = OPT_CONFIGS["adam"]
    model = load_tiny()
    named = named_params(model)
    params = [p for _, p in named]
    opt = make_optimizer(cfg, params)
    losses, norms = [], []
    for i in range(20):
        opt.zero_grad(set_to_none=True)
        res = forward(model, batches[i % 5])
        losses.append(float(res.loss.detach()))
        res.loss.backward()
        norms.append(float(total_grad_norm(params)))
        opt.step()
    out = batch_tensors(batches)
    out["loss"] = torch.tensor(losses, dtype=torch.float32)
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    meta = base_metadata("trajectory", {
        "optimizer": json.dumps(cfg, sort_keys=True, separators=(",", ":")),
        "steps": "20",
        "notes": "step i (0-based) uses batch.{i % 5}; loss[i]/grad_norm[i] before step i's update",
    })
    path = TRAIN_OUT / "tiny-cls.trajectory.safetensors"
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {['%.4f' % x for x in losses]}")


def run_problem_type(problem_type: str, fname: str, batch) -> None:
    model = load_tiny(problem_type)
    assert model.config.problem_type == problem_type
    g = torch.Generator().manual_seed(97 if problem_type == "regression" else 98)
    if problem_type == "regression":
        labels = torch.randn(4, 5, generator=g, dtype=torch.float32)
    else:
        labels = (torch.rand(4, 5, generator=g) < 0.4).to(torch.float32)
        labels[1].zero_()  # one all-negative row
        labels[0, 0] = 1.0  # and a positive in row 0
    b = dict(batch)
    b["labels_f32"] = labels
    res = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"],
                token_type_ids=b["token_type_ids"], labels=labels)
    logits = res.logits.detach()
    # What transformers computes for num_labels > 1 (no squeeze): mean over all 4*5 elements.
    if problem_type == "regression":
        ref = torch.nn.functional.mse_loss(logits, labels)
        formula = "MSELoss()(logits, labels): mean over all B*num_labels elements"
    else:
        ref = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        formula = "BCEWithLogitsLoss()(logits, labels): mean over all B*num_labels elements"
    assert torch.equal(ref, res.loss.detach()), (ref, res.loss)
    res.loss.backward()
    out = batch_tensors([b], labels_key="labels_f32")
    out["loss"] = res.loss.detach().reshape(1).clone()
    out["logits.0"] = logits.clone()
    out.update(recorded_grads(model, "grad."))
    out["grad_norm"] = total_grad_norm([p for _, p in named_params(model)]).reshape(1)
    meta = base_metadata("problem-type", {
        "problem_type": problem_type,
        "loss": formula,
        "notes": "one forward/backward on batch.0 (labels F32 [4,5]); grad.* = .grad of every parameter",
    })
    path = TRAIN_OUT / fname
    save_safetensors(path, out, meta)
    print(f"{path.name}: loss {float(res.loss.detach()):.6f}")


DROPOUT_RATES = {"hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.2, "classifier_dropout": 0.3}


@contextlib.contextmanager
def recorded_dropout(seed: int):
    """Within the block, torch.nn.functional.dropout draws keep = rand >= p from a generator seeded
    with `seed`, appends keep (U8) and p to the yielded lists, and returns input * keep * (1/(1-p))."""
    gen = torch.Generator().manual_seed(seed)
    masks, rates = [], []
    real = torch.nn.functional.dropout

    def recording_dropout(input, p=0.5, training=True, inplace=False):
        assert training and p > 0 and not inplace
        keep = torch.rand(input.shape, generator=gen) >= p
        masks.append(keep.to(torch.uint8))
        rates.append(p)
        return input * keep.to(input.dtype) * (1.0 / (1.0 - p))

    torch.nn.functional.dropout = recording_dropout
    try:
        yield masks, rates
    finally:
        torch.nn.functional.dropout = real


def run_dropout(batch) -> None:
    """One training-mode forward/backward with every dropout on, its masks recorded.

    torch.nn.functional.dropout (which nn.Dropout and eager attention both call) is replaced by one
    that draws keep = rand >= p from a seeded generator, records keep, and returns
    input * keep * (1/(1-p)), the product torch's own dropout computes. bertkit's test feeds the same
    masks to its forward, so the loss and every gradient must agree as without dropout.
    """
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(str(FIXTURE), attn_implementation="eager",
                                                          dtype=torch.float32, **DROPOUT_RATES)
    model.train()
    with recorded_dropout(seed=1234) as (masks, rates):
        res = forward(model, batch)
        res.loss.backward()
    layers = model.config.num_hidden_layers
    sites = ["embeddings"]
    for i in range(layers):
        sites += [f"encoder.layer.{i}.attention.self", f"encoder.layer.{i}.attention.output", f"encoder.layer.{i}.output"]
    sites.append("classifier")
    assert len(masks) == len(sites), (len(masks), len(sites))
    b, s = batch["input_ids"].shape
    h, heads = model.config.hidden_size, model.config.num_attention_heads
    for name, m, p in zip(sites, masks, rates):
        want = {"embeddings": ((b, s, h), 0.1), "classifier": ((b, h), 0.3)}.get(name)
        if want is None:
            want = ((b, heads, s, s), 0.2) if name.endswith(".self") else ((b, s, h), 0.1)
        assert tuple(m.shape) == want[0] and p == want[1], (name, m.shape, p)
    out = batch_tensors([batch])
    out.update({f"mask.{k}": m for k, m in enumerate(masks)})
    out["loss"] = res.loss.detach().reshape(1).clone()
    out["logits.0"] = res.logits.detach().clone()
    out.update(recorded_grads(model, "grad."))
    meta = base_metadata("dropout", {
        "dropout": json.dumps(DROPOUT_RATES, sort_keys=True, separators=(",", ":")),
        "mask_sites": json.dumps(sites, separators=(",", ":")),
        "notes": ("one training-mode forward/backward on batch.0 with the dropout masks mask.{k} (U8, 1 = kept), "
                  "drawn in torch's call order (mask_sites) and applied as input * mask * (1/(1-p)); "
                  "grad.* = .grad of every parameter"),
    })
    path = TRAIN_OUT / "tiny-cls.dropout.safetensors"
    save_safetensors(path, out, meta)
    kept = [f"{float(m.float().mean()):.3f}" for m in masks]
    print(f"{path.name}: loss {float(res.loss.detach()):.6f} kept fractions {kept}")


def make_goldens() -> None:
    setup_torch()
    import json as _json

    cfg = _json.loads((FIXTURE / "config.json").read_text())
    assert cfg["hidden_size"] == 32 and cfg["num_hidden_layers"] == 3 and cfg["vocab_size"] == 217
    assert cfg["pad_token_id"] == PAD_ID and cfg["type_vocab_size"] == 2
    vocab = (FIXTURE / "vocab.txt").read_text(encoding="utf-8").split("\n")
    assert vocab[CLS_ID] == "[CLS]" and vocab[SEP_ID] == "[SEP]" and vocab[PAD_ID] == "[PAD]"
    batches = make_batches(cfg["vocab_size"])
    for key in OPT_CONFIGS:
        run_optimizer_golden(key, batches)
    run_trajectory(batches)
    run_problem_type("regression", "tiny-cls.regression.safetensors", batches[0])
    run_problem_type("multi_label_classification", "tiny-cls.multilabel.safetensors", batches[0])
    run_dropout(batches[1])
    total = sum(p.stat().st_size for p in TRAIN_OUT.glob("*.safetensors"))
    print(f"golden/expected/train: {total} bytes")
    assert total < 3.5e6, total  # keep the repository small: these are committed


# ============================================================================================
# Part 2: agnews-mini and the CSV test files
# ============================================================================================

CLASS_NAMES = ["World", "Sports", "Business", "Sci/Tech"]
SOURCE_FILES = ["world.txt", "sports.txt", "business.txt", "scitech.txt"]
TRAIN_PER_CLASS = 60
TEST_PER_CLASS = 30
DATA_SEED = 4


def read_stories(path: Path):
    """A source file: stories separated by blank lines; line 1 the title, the rest the description."""
    text = path.read_text(encoding="utf-8")
    assert "\r" not in text and "\t" not in text
    stories = []
    for block in text.strip("\n").split("\n\n"):
        lines = [ln.strip() for ln in block.split("\n")]
        assert len(lines) >= 2 and all(lines), (path, block)
        title, desc = lines[0], " ".join(lines[1:])
        assert not title.startswith("#")
        stories.append((title, desc))
    return stories


def words(s: str):
    return re.findall(r"[a-z0-9']+", s.lower())


def check_near_duplicates(all_stories) -> None:
    """No two titles share more than 60% of their words (overlap / size of the smaller word set)."""
    sets = [(c, t, set(words(t))) for c, (t, _) in all_stories]
    bad = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            a, b = sets[i][2], sets[j][2]
            overlap = len(a & b) / min(len(a), len(b))
            if overlap > 0.6:
                bad.append((overlap, sets[i][1], sets[j][1]))
    descs = [set(words(d)) for _, (_, d) in all_stories]
    for i in range(len(descs)):
        for j in range(i + 1, len(descs)):
            overlap = len(descs[i] & descs[j]) / min(len(descs[i]), len(descs[j]))
            if overlap > 0.6:
                bad.append((overlap, all_stories[i][1][1], all_stories[j][1][1]))
    assert not bad, "\n".join(f"{o:.2f}: {x!r} ~ {y!r}" for o, x, y in bad)


def csv_field(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def agnews_csv(rows) -> str:
    """AG News layout: no header, every field double-quoted, "class","title","description", LF endings."""
    return "".join(f"{csv_field(str(c))},{csv_field(t)},{csv_field(d)}\n" for c, t, d in rows)


def make_data() -> None:
    stories = []  # (class 1-based, (title, description))
    for c, fname in enumerate(SOURCE_FILES, start=1):
        per_class = read_stories(AGNEWS / "source" / fname)
        assert len(per_class) >= TRAIN_PER_CLASS + TEST_PER_CLASS, (fname, len(per_class))
        stories += [(c, s) for s in per_class]
    titles = [t.lower() for _, (t, _) in stories]
    assert len(set(titles)) == len(titles)
    check_near_duplicates(stories)

    rng = random.Random(DATA_SEED)
    train, test = [], []
    for c in range(1, 5):
        mine = [(c, t, d) for cc, (t, d) in stories if cc == c]
        rng.shuffle(mine)
        test += mine[:TEST_PER_CLASS]
        train += mine[TEST_PER_CLASS:]
    rng.shuffle(train)
    rng.shuffle(test)
    counts = {c: sum(1 for r in train if r[0] == c) for c in range(1, 5)}
    assert len(set(counts.values())) == 1, counts
    assert all(sum(1 for r in test if r[0] == c) == TEST_PER_CLASS for c in range(1, 5))

    train_text, test_text = agnews_csv(train), agnews_csv(test)
    # The CSV features the readers must handle are present in both splits.
    for name, text in (("train", train_text), ("test", test_text)):
        assert '""' in text and "'" in text and "$" in text and "%" in text, name
        parsed = list(csv.reader(io.StringIO(text)))
        assert parsed == [[str(c), t, d] for c, t, d in (train if name == "train" else test)]
    write_text(AGNEWS / "train.csv", train_text)
    write_text(AGNEWS / "test.csv", test_text)
    write_text(AGNEWS / "labels.txt", "".join(n + "\n" for n in CLASS_NAMES))

    # text,label layout: 20 rows from test.csv (5 per class), text = title + " " + description
    # (as torchtext joins AG News), label by name; RFC 4180 quoting only where needed.
    picked, per = [], {c: 0 for c in range(1, 5)}
    for c, t, d in test:
        if per[c] < 5:
            picked.append((t + " " + d, CLASS_NAMES[c - 1]))
            per[c] += 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["text", "label"])
    w.writerows(picked)
    assert len(picked) == 20
    write_text(DATA / "text-label.csv", buf.getvalue())

    write_bad_csvs(test)
    print(f"golden/data: train {len(train)} rows {counts}, test {len(test)} rows, text-label 20 rows")


def write_bad_csvs(test) -> None:
    ok = [agnews_csv([r]) for r in test[:5]]
    bad = DATA / "bad"
    # 1. Unterminated quote on line 3 (the last line): the description's closing quote is missing, so the
    #    quoted field opened on line 3 runs to the end of the file.
    c, t, d = next(r for r in test[2:] if '"' not in r[1] + r[2])
    write_text(bad / "unterminated-quote.csv", ok[0] + ok[1] + f'"{c}",{csv_field(t)},"{d}\n')
    # 2. Unknown label: class 7 on line 2 (valid classes are 1..4).
    c, t, d = test[1]
    write_text(bad / "unknown-label.csv", ok[0] + agnews_csv([(7, t, d)]) + ok[2])
    # 3. Empty text on line 4: title and description both empty.
    write_text(bad / "empty-text.csv", ok[0] + ok[1] + ok[2] + agnews_csv([(test[3][0], "", "")]) + ok[4])
    # 4. One column on line 2: only the class field.
    write_text(bad / "one-column.csv", ok[0] + csv_field(str(test[1][0])) + "\n" + ok[2])


# ============================================================================================
# Learnability check: fine-tune all-MiniLM-L6-v2 on agnews-mini with PyTorch
# ============================================================================================


def read_agnews(path: Path):
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return [(t + " " + d, int(c) - 1) for c, t, d in rows]


def check_learnability(lr: float, epochs: int, seed: int, max_length: int, batch_size: int) -> None:
    setup_torch()
    torch.use_deterministic_algorithms(False)
    from transformers import AutoTokenizer, BertForSequenceClassification

    tok = AutoTokenizer.from_pretrained(str(MINILM))
    torch.manual_seed(seed)
    model = BertForSequenceClassification.from_pretrained(str(MINILM), num_labels=4, attn_implementation="eager")
    train, test = read_agnews(AGNEWS / "train.csv"), read_agnews(AGNEWS / "test.csv")
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    g = torch.Generator().manual_seed(seed)

    def encode(rows):
        enc = tok([t for t, _ in rows], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        return enc, torch.tensor([y for _, y in rows])

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(test), 32):
                enc, y = encode(test[i:i + 32])
                correct += int((model(**enc).logits.argmax(-1) == y).sum())
        model.train()
        return correct / len(test)

    t0 = time.time()
    print(f"lr {lr} batch {batch_size} max_length {max_length} seed {seed}: "
          f"{len(train)} train / {len(test)} test rows; before training acc {evaluate():.4f}")
    step = 0
    model.train()
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(train), generator=g).tolist()
        run_loss, run_acc, n = 0.0, 0, 0
        for i in range(0, len(order), batch_size):
            rows = [train[j] for j in order[i:i + batch_size]]
            enc, y = encode(rows)
            out = model(**enc, labels=y)
            opt.zero_grad()
            out.loss.backward()
            opt.step()
            step += 1
            run_loss += float(out.loss.detach()) * len(rows)
            run_acc += int((out.logits.argmax(-1) == y).sum())
            n += len(rows)
            if step % 10 == 0:
                print(f"  step {step}: Loss = {run_loss / n:.4f}, Accuracy = {run_acc / n:.4f}")
        acc = evaluate()
        print(f"epoch {epoch}: train loss {run_loss / n:.4f} train acc {run_acc / n:.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.1f}s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["goldens", "data"])
    ap.add_argument("--check-learnability", action="store_true")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    if args.check_learnability:
        check_learnability(args.lr, args.epochs, args.seed, args.max_length, args.batch_size)
        return
    if args.only in (None, "goldens"):
        make_goldens()
    if args.only in (None, "data"):
        make_data()


if __name__ == "__main__":
    main()
