"""`golden/record.py --train`: record one PyTorch training step on a user's model and batch as a step
golden (formats/golden.md, "Step goldens"), for `bertkit verify MODEL STEP --train`.

    golden/.venv/bin/python golden/record.py MODEL_FOLDER --train BATCH.jsonl -o STEP.safetensors \\
        [--optimizer adamw] [--lr 5e-5] [--weight-decay 0.01] [--betas 0.9 0.999] [--eps 1e-8] [--clip-norm 1.0]

BATCH.jsonl holds one example a line, with the targets of the model's head (config.json
`architectures[0]`), in the layouts users already have:

- BertForSequenceClassification: {"text", "text_pair"?, "label"}: a class index or a name from
  config.json's label2id; regression: a number or a list; multi-label: a list of names.
- BertForTokenClassification: {"tokens": [...], "ner_tags": [...]} (HF datasets' export; tags as
  indices or label2id names). As run_ner.py: the first sub-token of a word gets its tag, the others
  and the special tokens -100.
- BertForQuestionAnswering: {"question", "context", "answers": {"text": [...], "answer_start": [...]}}
  (SQuAD, flattened): the first answer's characters mapped to token positions through the offsets;
  no answer gives [CLS] (0, 0).
- BertForMaskedLM: {"text" with [MASK] tokens, "labels": [one word per [MASK]]}: each word must be one
  token of the vocabulary; every other position is -100.
- BertForNextSentencePrediction: {"text", "text_pair", "label"} (0: text_pair follows text).
- BertForPreTraining: the masked-LM fields plus "text_pair" and "next_sentence_label".
- BertForMultipleChoice: {"context", "choices": [...], "label"}: every example the same number of
  choices; the rows are [context, choice] pairs, example-major.

The step, as a PyTorch loop does it: from_pretrained with eager attention, float32, dropout 0
(hidden, attention, classifier), train(); zero_grad, the model's own loss (`labels=`,
`start_positions`/`end_positions`, `next_sentence_label`), backward, optional clip_grad_norm_,
torch.optim.AdamW (or Adam) with foreach=False, fused=False. One torch thread, deterministic
algorithms. Parameter names are transformers' without the leading `bert.`.
"""

import json
import sys
from pathlib import Path

import torch
from golden_io import save_safetensors

IGNORE = -100


class BatchError(SystemExit):
    pass


def fail(path: Path, line: int, problem: str):
    raise BatchError(f"error: {path}:{line}: {problem}")


def canonical(name: str) -> str:
    return name[len("bert."):] if name.startswith("bert.") else name


def read_jsonl(path: Path):
    rows = []
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as e:
            fail(path, n, f"not JSON: {e.msg}")
        if not isinstance(row, dict):
            fail(path, n, "expected a JSON object")
        rows.append((n, row))
    if not rows:
        raise BatchError(f"error: {path}: no examples")
    return rows


def field(path, n, row, key, kind=None):
    if key not in row:
        fail(path, n, f"missing \"{key}\"")
    v = row[key]
    if kind is not None and not isinstance(v, kind):
        fail(path, n, f"\"{key}\" is {type(v).__name__}, expected {kind.__name__ if isinstance(kind, type) else '/'.join(k.__name__ for k in kind)}")
    return v


def label_index(path, n, value, config, key):
    """A class index, or a label2id name."""
    count = config.num_labels
    if isinstance(value, str):
        if value not in config.label2id:
            fail(path, n, f"\"{key}\" {value!r} is not in config.json's label2id ({', '.join(sorted(config.label2id))})")
        return int(config.label2id[value])
    if not isinstance(value, int) or isinstance(value, bool) or not (0 <= value < count or value == IGNORE):
        fail(path, n, f"\"{key}\" {value!r} is not a class index 0..{count - 1} (or -100)")
    return value


def pad(rows, pad_id, seq=None):
    """[{input_ids, token_type_ids, attention_mask, (labels)}] right-padded to the longest row."""
    S = seq or max(len(r["input_ids"]) for r in rows)
    out = {}
    for key, value in (("input_ids", pad_id), ("token_type_ids", 0), ("attention_mask", 0), ("labels", IGNORE)):
        if key in rows[0]:
            out[key] = torch.tensor([r[key] + [value] * (S - len(r[key])) for r in rows], dtype=torch.int64)
    return out


def encode(tokenizer, path, n, *texts, max_positions, **kw):
    e = tokenizer(*texts, return_token_type_ids=True, return_attention_mask=True, truncation=False, **kw)
    if len(e["input_ids"]) > max_positions:
        fail(path, n, f"{len(e['input_ids'])} tokens; the model takes at most {max_positions}")
    return e


def batch_for(arch: str, path: Path, tokenizer, config):
    """The padded inputs and the targets transformers takes, from BATCH.jsonl."""
    rows = read_jsonl(path)
    mp = config.max_position_embeddings
    enc, targets = [], {}
    if arch == "BertForSequenceClassification":
        problem = config.problem_type or ("regression" if config.num_labels == 1 else "single_label_classification")
        labels = []
        for n, r in rows:
            texts = [field(path, n, r, "text", str)] + ([field(path, n, r, "text_pair", str)] if "text_pair" in r else [])
            enc.append(dict(encode(tokenizer, path, n, *texts, max_positions=mp)))
            y = field(path, n, r, "label")
            if problem == "single_label_classification":
                labels.append(label_index(path, n, y, config, "label"))
            elif problem == "regression":
                y = [y] if isinstance(y, (int, float)) else y
                if not isinstance(y, list) or len(y) != config.num_labels or not all(isinstance(v, (int, float)) for v in y):
                    fail(path, n, f"\"label\" must be {config.num_labels} number(s) for regression")
                labels.append([float(v) for v in y])
            else:
                if not isinstance(y, list):
                    fail(path, n, "\"label\" must list label names for multi_label_classification")
                hot = [0.0] * config.num_labels
                for name in y:
                    hot[label_index(path, n, name, config, "label")] = 1.0
                labels.append(hot)
        dtype = torch.int64 if problem == "single_label_classification" else torch.float32
        targets["labels"] = torch.tensor(labels, dtype=dtype)
    elif arch == "BertForTokenClassification":
        for n, r in rows:
            words, tags = field(path, n, r, "tokens", list), field(path, n, r, "ner_tags", list)
            if len(words) != len(tags):
                fail(path, n, f"{len(words)} tokens but {len(tags)} ner_tags")
            e = encode(tokenizer, path, n, words, max_positions=mp, is_split_into_words=True)
            labels, previous = [], None
            for w in e.word_ids():
                labels.append(IGNORE if w is None or w == previous else label_index(path, n, tags[w], config, "ner_tags"))
                previous = w
            enc.append({**dict(e), "labels": labels})
    elif arch == "BertForQuestionAnswering":
        starts, ends = [], []
        for n, r in rows:
            q, c = field(path, n, r, "question", str), field(path, n, r, "context", str)
            a = field(path, n, r, "answers", dict)
            e = encode(tokenizer, path, n, q, c, max_positions=mp, return_offsets_mapping=True)
            offsets, seq_ids = e.pop("offset_mapping"), e.sequence_ids()
            s = t = 0
            if a.get("text"):
                text, begin = a["text"][0], a["answer_start"][0]
                if c[begin:begin + len(text)] != text:
                    fail(path, n, f"answers.answer_start {begin} does not point at {text!r} in the context")
                end = begin + len(text)
                inside = [i for i, (o, sid) in enumerate(zip(offsets, seq_ids)) if sid == 1 and o[0] < end and o[1] > begin]
                if not inside:
                    fail(path, n, f"the answer {text!r} covers no token of the context")
                s, t = inside[0], inside[-1]
            starts.append(s)
            ends.append(t)
            enc.append(dict(e))
        targets["start_positions"] = torch.tensor(starts, dtype=torch.int64)
        targets["end_positions"] = torch.tensor(ends, dtype=torch.int64)
    elif arch in ("BertForMaskedLM", "BertForPreTraining"):
        vocab, nsp = tokenizer.get_vocab(), []
        for n, r in rows:
            texts = [field(path, n, r, "text", str)] + ([field(path, n, r, "text_pair", str)] if "text_pair" in r else [])
            e = dict(encode(tokenizer, path, n, *texts, max_positions=mp))
            words = field(path, n, r, "labels", list)
            masked = [i for i, t in enumerate(e["input_ids"]) if t == tokenizer.mask_token_id]
            if len(masked) != len(words):
                fail(path, n, f"{len(masked)} [MASK] tokens but {len(words)} labels")
            labels = [IGNORE] * len(e["input_ids"])
            for i, w in zip(masked, words):
                ids = tokenizer(w, add_special_tokens=False)["input_ids"] if isinstance(w, str) else None
                if not ids or len(ids) != 1 or ids[0] == tokenizer.unk_token_id and w not in vocab:
                    fail(path, n, f"label {w!r} is not one token of the vocabulary")
                labels[i] = ids[0]
            enc.append({**e, "labels": labels})
            if arch == "BertForPreTraining":
                nsp.append(label_nsp(path, n, field(path, n, r, "next_sentence_label")))
        if nsp:
            targets["next_sentence_label"] = torch.tensor(nsp, dtype=torch.int64)
    elif arch == "BertForNextSentencePrediction":
        labels = []
        for n, r in rows:
            enc.append(dict(encode(tokenizer, path, n, field(path, n, r, "text", str), field(path, n, r, "text_pair", str),
                                   max_positions=mp)))
            labels.append(label_nsp(path, n, field(path, n, r, "label")))
        targets["labels"] = torch.tensor(labels, dtype=torch.int64)
    elif arch == "BertForMultipleChoice":
        labels, counts = [], set()
        for n, r in rows:
            ctx, choices = field(path, n, r, "context", str), field(path, n, r, "choices", list)
            counts.add(len(choices))
            if len(counts) > 1:
                fail(path, n, f"{len(choices)} choices; every example needs the same number ({min(counts)} or {max(counts)} found)")
            y = field(path, n, r, "label")
            if not isinstance(y, int) or not (0 <= y < len(choices)):
                fail(path, n, f"\"label\" {y!r} is not a choice index 0..{len(choices) - 1}")
            labels.append(y)
            enc += [dict(encode(tokenizer, path, n, ctx, c, max_positions=mp)) for c in choices]
        targets["labels"] = torch.tensor(labels, dtype=torch.int64)
    else:
        raise BatchError(f"error: --train needs a model with a head; {arch} has no loss")
    inputs = pad(enc, tokenizer.pad_token_id)
    if "labels" in inputs:
        targets["labels"] = inputs.pop("labels")
    return inputs, targets


def label_nsp(path, n, y):
    if y not in (0, 1, IGNORE):
        fail(path, n, f"next-sentence label {y!r} is not 0, 1 (or -100)")
    return y


def model_inputs(arch: str, inputs: dict, targets: dict):
    """What the model is called with: multiple choice views the B·C rows as [B, C, S]."""
    if arch != "BertForMultipleChoice":
        return inputs
    b = targets["labels"].shape[0]
    return {k: v.view(b, v.shape[0] // b, v.shape[1]) for k, v in inputs.items()}


def head_output(arch: str, res, targets):
    """The head output bertkit's Trainer returns (generate_training_heads.head_output)."""
    if arch == "BertForQuestionAnswering":
        return torch.stack([res.start_logits, res.end_logits], dim=-1)
    if arch in ("BertForMaskedLM", "BertForPreTraining"):
        logits = res.prediction_logits if arch == "BertForPreTraining" else res.logits
        keep = targets["labels"].view(-1) != IGNORE
        return logits.reshape(-1, logits.shape[-1])[keep]
    return res.logits


def cancelling(arch: str, layers: int):
    """Gradients that are 0 in exact arithmetic (softmax shift invariance), as the head goldens list them."""
    noise = [f"encoder.layer.{i}.attention.self.key.bias" for i in range(layers)]
    shift = {"BertForQuestionAnswering": ["qa_outputs.bias", f"encoder.layer.{layers - 1}.output.LayerNorm.bias"],
             "BertForMultipleChoice": ["classifier.bias"]}.get(arch, [])
    return noise, shift


def weights_sha256(named) -> str:
    """SHA-256 over the parameters by name (UTF-8 byte order): name, a 0 byte, f32 little-endian values."""
    import hashlib

    h = hashlib.sha256()
    for name, p in sorted(named, key=lambda x: x[0].encode("utf-8")):
        h.update(name.encode("utf-8") + b"\0")
        h.update(p.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes())
    return h.hexdigest()


def record_step(folder: Path, batch: Path, opt_args) -> tuple:
    """One step; returns (tensors, metadata)."""
    import transformers
    from record import architecture, producer

    torch.set_num_threads(1)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    arch = architecture(folder)
    off = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "classifier_dropout": 0.0}
    model, info = getattr(transformers, arch).from_pretrained(str(folder), attn_implementation="eager", dtype=torch.float32,
                                                              output_loading_info=True, **off)
    if info["missing_keys"] or info["mismatched_keys"]:
        raise BatchError(f"error: {folder}: {arch} leaves parameters unset: missing {sorted(info['missing_keys'])}, "
                         f"mismatched {sorted(str(k) for k in info['mismatched_keys'])}")
    model.train()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    inputs, targets = batch_for(arch, batch, tokenizer, model.config)
    named = [(canonical(n), p) for n, p in model.named_parameters()]
    digest = weights_sha256(named)
    cls = torch.optim.AdamW if opt_args["optimizer"] == "adamw" else torch.optim.Adam
    opt = cls([p for _, p in named], lr=opt_args["lr"], betas=tuple(opt_args["betas"]), eps=opt_args["eps"],
              weight_decay=opt_args["weight_decay"], amsgrad=False, foreach=False, fused=False)
    opt.zero_grad(set_to_none=True)
    res = model(**model_inputs(arch, inputs, targets), **targets)
    res.loss.backward()
    with_grad = [(n, p) for n, p in named if p.grad is not None]
    out = {f"batch.0.{k}": v for k, v in {**inputs, **targets}.items()}
    out["loss"] = res.loss.detach().reshape(1).clone()
    out["logits.0"] = head_output(arch, res, targets).detach().clone()
    out.update({"grad." + n: p.grad.detach().clone() for n, p in with_grad})
    if opt_args["clip_norm"] is not None:
        torch.nn.utils.clip_grad_norm_([p for _, p in named], opt_args["clip_norm"], norm_type=2.0, foreach=False)
    opt.step()
    for n, p in with_grad:
        out["exp_avg." + n] = opt.state[p]["exp_avg"].detach().clone()
        out["exp_avg_sq." + n] = opt.state[p]["exp_avg_sq"].detach().clone()
    out.update({"param1." + n: p.detach().clone() for n, p in named})
    noise, shift = cancelling(arch, model.config.num_hidden_layers)
    hyper = {"optimizer": "torch.optim.AdamW" if opt_args["optimizer"] == "adamw" else "torch.optim.Adam",
             "lr": opt_args["lr"], "lr_per_step": [opt_args["lr"]], "betas": list(opt_args["betas"]), "eps": opt_args["eps"],
             "weight_decay": opt_args["weight_decay"], "amsgrad": False, "foreach": False, "fused": False,
             "clip_grad_norm": None if opt_args["clip_norm"] is None else {"max_norm": opt_args["clip_norm"], "norm_type": 2.0,
                                                                            "foreach": False},
             "schedule": "constant"}
    compact = dict(separators=(",", ":"))
    meta = {
        "format": "bertkit-train-golden",
        "version": "1",
        "kind": "optimizer-steps",
        "steps": "1",
        "dropout": "0",
        "architecture": arch,
        "source": str(folder),
        "batch": batch.name,
        "producer": producer(),
        "attn_implementation": "eager",
        "torch_num_threads": "1",
        "optimizer": json.dumps(hyper, sort_keys=True, **compact),
        "param_names": "transformers names with the leading 'bert.' removed",
        "noise_dominated": json.dumps(noise, **compact),
        "shift_invariant": json.dumps(shift, **compact),
        "weights_sha256": digest,
        "notes": "one step on batch.0: loss and logits.0 (the head output, MLM at the labelled positions) and grad.* "
                 "(before clipping) from the step's forward and backward; exp_avg*, param1.* after the update",
    }
    return {k: v.contiguous() for k, v in out.items()}, meta


def main(args) -> None:
    opt_args = {"optimizer": args.optimizer, "lr": args.lr, "betas": args.betas, "eps": args.eps,
                "weight_decay": args.weight_decay, "clip_norm": args.clip_norm}
    tensors, meta = record_step(args.model, args.train, opt_args)
    save_safetensors(args.output, tensors, meta)
    grads = sum(1 for k in tensors if k.startswith("grad."))
    shape = "×".join(str(n) for n in tensors["batch.0.input_ids"].shape)
    print(f"wrote one {meta['architecture']} step ({shape} tokens, loss {float(tensors['loss'][0]):.6f}, {grads} gradients) "
          f"to {args.output}", file=sys.stderr)
