#!/usr/bin/env python3
"""Times the references bertkit bench is compared with: PyTorch eager, ONNX Runtime (plain and
with its transformer fusions), OpenVINO and CTranslate2.

Same forward as `bertkit bench` (the family's base model, AutoModel: BertModel, MPNetModel,
RobertaModel, ... with its pooler when it has one; synthetic ids, every position real),
same batch shape and thread count; warm-up runs, then timed runs, median reported. One backend per
process so each peak RSS is its own. Prints one JSON object per line.

  golden/.venv/bin/python golden/bench_reference.py MODEL --backend torch --batch 8 --seq 128 --threads 2
  golden/.venv/bin/python golden/bench_reference.py MODEL --backend ort   --batch 8 --seq 128 --threads 2
  golden/.venv/bin/python golden/bench_reference.py MODEL --backend ort-fused|openvino|ct2 ...
  golden/.venv/bin/python golden/bench_reference.py MODEL --backend torch --train   # one training step

--train times what `bertkit bench --train` does: BertForSequenceClassification (2 labels, eager
attention), train() with the config's dropout (--no-dropout: all dropout 0, as `bertkit bench
--train --no-dropout`), forward with labels (cross-entropy), backward,
torch.optim.AdamW(lr=1e-6, foreach=False) step, zero_grad(set_to_none=False).
--train --task T times `bertkit bench --train --task T` instead: BertFor<T> from MODEL (its head
when MODEL has that head, else a new one as transformers initialises it) on the targets bertkit's
TrainingBenchmark.syntheticTargets makes: classes i % num_labels (sequence classification); a label
on every token but each sequence's first, i % num_labels over the flat rows (token
classification); the span 1...2 (question answering); the token itself on every seventh flat
position (i % 7 == 1, about the collator's 15%; masked LM); next-sentence labels i % 2;
pre-training both; multiple choice batch/2 examples of 2 choices (batch rows of seq in all),
answer i % 2.

PyTorch runs eagerly (no torch.compile) under torch.inference_mode() with transformers' default
attention (sdpa). ONNX Runtime runs the model exported by torch.onnx.export (opset 17, the
TorchScript exporter, cached under .cache/onnx/), CPU provider, all graph optimisations on,
intra-op threads = --threads, inter-op threads = 1. ort-fused: the same export passed through
onnxruntime.transformers.optimizer.optimize_model(model_type="bert", num_heads, hidden_size) (its
attention, LayerNorm, GELU and bias fusions; cached as NAME-fused.onnx), run as ort. openvino: the
same export read by OpenVINO's CPU plugin, INFERENCE_PRECISION_HINT f32, PERFORMANCE_HINT LATENCY,
INFERENCE_NUM_THREADS = --threads. ct2: the checkpoint converted by CTranslate2's
TransformersConverter (float32, cached under .cache/ct2/), ctranslate2.Encoder on CPU with
compute_type float32, intra_threads = --threads, inter_threads 1; forward_batch on the ids (it
returns the last hidden state and the pooler output).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def flops(cfg, batch, seq):
    """Multiply-adds count 2, as bertkit's BertModel.flops."""
    t, h, i = batch * seq, cfg.hidden_size, cfg.intermediate_size
    per_layer = 2 * t * h * 3 * h + 2 * t * h * h + 4 * t * h * i + 4 * batch * seq * seq * h
    return cfg.num_hidden_layers * per_layer + 2 * batch * h * h


def synthetic(cfg, batch, seq, torch):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=g, dtype=torch.int64)
    return ids, torch.ones_like(ids), torch.zeros_like(ids)


# Process CPU time (every thread) per timed run, as `bertkit bench` reports it: on a loaded machine
# wall times mostly measure the scheduler; CPU time still shows the work (plus any spinning).
CPU_MS = [0.0]


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    c0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    CPU_MS[0] = (time.process_time() - c0) * 1000 / runs
    return times


def takes_token_types(model):
    """MPNet and DistilBERT have no token types: their forward has no token_type_ids."""
    import inspect
    return "token_type_ids" in inspect.signature(model.forward).parameters


def base_model(args, **kwargs):
    """The checkpoint's base model (AutoModel picks the family from config.json's model_type)."""
    import transformers
    return transformers.AutoModel.from_pretrained(args.model, **kwargs).eval()


def run_torch(args):
    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model = base_model(args)
    ids, mask, types = synthetic(model.config, args.batch, args.seq, torch)
    kw = {"input_ids": ids, "attention_mask": mask, **({"token_type_ids": types} if takes_token_types(model) else {})}
    with torch.inference_mode():
        times = timed(lambda: model(**kw), args.warmup, args.runs)
    return model.config, times, f"torch {torch.__version__} / transformers {transformers.__version__}"


# --task: bertkit's HeadKind raw value -> transformers class.
TASKS = {"sequence-classification": "BertForSequenceClassification", "token-classification": "BertForTokenClassification",
         "question-answering": "BertForQuestionAnswering", "masked-lm": "BertForMaskedLM",
         "multiple-choice": "BertForMultipleChoice", "next-sentence": "BertForNextSentencePrediction",
         "pre-training": "BertForPreTraining"}


def train_targets(task, cfg, ids, torch):
    """The forward's inputs besides the ids: the labels bertkit's TrainingBenchmark.syntheticTargets
    makes for the same head and shape (see the module docstring), and the ids reshaped for multiple choice."""
    b, s = ids.shape
    labels = max(1, cfg.num_labels)
    flat = torch.arange(b * s)
    masked = torch.where(flat % 7 == 1, ids.reshape(-1), torch.full_like(flat, -100)).reshape(b, s)
    if task == "sequence-classification":
        return {"labels": torch.arange(b) % labels}
    if task == "token-classification":
        return {"labels": torch.where(flat % s == 0, torch.full_like(flat, -100), flat % labels).reshape(b, s)}
    if task == "question-answering":
        return {"start_positions": torch.full((b,), min(1, s - 1)), "end_positions": torch.full((b,), min(2, s - 1))}
    if task == "masked-lm":
        return {"labels": masked}
    if task == "next-sentence":
        return {"labels": torch.arange(b) % 2}
    if task == "pre-training":
        return {"labels": masked, "next_sentence_label": torch.arange(b) % 2}
    if task == "multiple-choice":
        examples = b // 2 if b % 2 == 0 else 1
        return {"labels": torch.arange(examples) % (b // examples), "choices": (examples, b // examples)}
    raise ValueError(task)


def run_torch_train(args):
    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    off = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
    task = args.task or "sequence-classification"
    extra = {} if args.task else {"num_labels": 2}
    model = getattr(transformers, TASKS[task]).from_pretrained(
        args.model, attn_implementation="eager", **extra, **({} if args.dropout else off)).train()
    ids, mask, types = synthetic(model.config, args.batch, args.seq, torch)
    targets = train_targets(task, model.config, ids, torch)
    if "choices" in targets:
        shape = targets.pop("choices")
        ids, mask, types = (t.reshape(*shape, args.seq) for t in (ids, mask, types))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, foreach=False)

    def step():
        opt.zero_grad(set_to_none=False)
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, **targets)
        out.loss.backward()
        opt.step()
    times = timed(step, min(args.warmup, 2), args.runs)
    return model.config, times, (f"torch {torch.__version__} / transformers {transformers.__version__} "
                                 f"(train step, dropout {'on' if args.dropout else 'off'})")


def onnx_path(args, cfg):
    name = os.path.basename(os.path.normpath(args.model))
    d = os.path.join(REPO, ".cache", "onnx")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, f"{name}.onnx")


def exported_onnx(args):
    """The model exported to ONNX (made once), its config and the synthetic input."""
    import torch
    import transformers
    model = base_model(args, attn_implementation="eager")
    cfg = model.config
    path = onnx_path(args, cfg)
    ids, mask, types = synthetic(cfg, args.batch, args.seq, torch)
    inputs = {"input_ids": ids, "attention_mask": mask, **({"token_type_ids": types} if takes_token_types(model) else {})}
    if not os.path.exists(path):
        tmp = path + ".partial"
        axes = {0: "batch", 1: "seq"}
        names = list(inputs)

        class Positional(torch.nn.Module):
            # transformers' forward takes these by keyword; the exporter passes positionally.
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, *xs):
                o = self.m(**dict(zip(names, xs)))
                return (o.last_hidden_state,) + ((o.pooler_output,) if getattr(o, "pooler_output", None) is not None else ())

        with torch.no_grad():
            outs = ["last_hidden_state"] + (["pooler_output"] if getattr(model, "pooler", None) is not None else [])
            torch.onnx.export(Positional(model), tuple(inputs.values()), tmp, input_names=names, output_names=outs,
                              opset_version=17, dynamo=False, dynamic_axes={n: axes for n in names})
        os.replace(tmp, path)
    del model
    return path, cfg, inputs


def ort_session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def feed(inputs):
    return {k: v.numpy() for k, v in inputs.items()}


def run_ort(args):
    import onnxruntime as ort
    path, cfg, inputs = exported_onnx(args)
    sess, f = ort_session(path, args.threads), feed(inputs)
    times = timed(lambda: sess.run(None, f), args.warmup, args.runs)
    return cfg, times, f"onnxruntime {ort.__version__}"


def run_ort_fused(args):
    import onnxruntime as ort
    from onnxruntime.transformers import optimizer
    path, cfg, inputs = exported_onnx(args)
    fused = path[:-len(".onnx")] + "-fused.onnx"
    if not os.path.exists(fused):
        # "bert" is the optimizer's model type for every BERT-shaped encoder (RoBERTa, MPNet, ...):
        # it fuses what matches its BERT patterns (MPNet's relative-position bias keeps attention unfused).
        m = optimizer.optimize_model(path, model_type="bert", num_heads=cfg.num_attention_heads, hidden_size=cfg.hidden_size)
        print(f"ort-fused {os.path.basename(fused)}: {m.get_fused_operator_statistics()}", file=sys.stderr)
        m.save_model_to_file(fused + ".partial.onnx")
        os.replace(fused + ".partial.onnx", fused)
    sess, f = ort_session(fused, args.threads), feed(inputs)
    times = timed(lambda: sess.run(None, f), args.warmup, args.runs)
    return cfg, times, f"onnxruntime {ort.__version__} (transformers optimizer, model_type bert)"


def run_openvino(args):
    import openvino as ov
    path, cfg, inputs = exported_onnx(args)
    core = ov.Core()
    compiled = core.compile_model(core.read_model(path), "CPU", {
        "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": args.threads})
    request, f = compiled.create_infer_request(), feed(inputs)
    times = timed(lambda: request.infer(f), args.warmup, args.runs)
    return cfg, times, f"openvino {ov.__version__}"


def run_ct2(args):
    import ctranslate2
    import torch
    import transformers

    class Converter(ctranslate2.converters.TransformersConverter):
        # CTranslate2's BertLoader checks config.position_embedding_type, which transformers 5 no
        # longer writes for its (absolute-position) BertConfig() defaults.
        def load_model(self, model_class, model_name_or_path, **kwargs):
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            if not hasattr(model.config, "position_embedding_type"):
                model.config.position_embedding_type = "absolute"
            return model

        # The converter stores a vocabulary; the bert-base-shaped model has none, and only ids are fed.
        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            try:
                return super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            except (OSError, ValueError, TypeError):
                import tempfile
                vocab = os.path.join(tempfile.mkdtemp(), "vocab.txt")
                with open(vocab, "w") as f:
                    f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
                return transformers.BertTokenizer(vocab)

    cfg = transformers.AutoConfig.from_pretrained(args.model)
    out = os.path.join(REPO, ".cache", "ct2", os.path.basename(os.path.normpath(args.model)))
    if not os.path.exists(os.path.join(out, "model.bin")):
        Converter(args.model).convert(out + ".partial", force=True)
        if os.path.exists(out):
            import shutil
            shutil.rmtree(out)
        os.replace(out + ".partial", out)
    encoder = ctranslate2.Encoder(out, device="cpu", compute_type="float32", intra_threads=args.threads, inter_threads=1)
    ids, _, types = synthetic(cfg, args.batch, args.seq, torch)
    ids, types = ids.tolist(), types.tolist()
    times = timed(lambda: encoder.forward_batch(ids, token_type_ids=types), args.warmup, args.runs)
    return cfg, times, f"ctranslate2 {ctranslate2.__version__}"


# --backend: (the name in the JSON and the table, the runner)
BACKENDS = {"torch": ("pytorch", run_torch), "ort": ("onnxruntime", run_ort),
            "ort-fused": ("onnxruntime-fused", run_ort_fused), "openvino": ("openvino", run_openvino),
            "ct2": ("ctranslate2", run_ct2)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--backend", choices=list(BACKENDS), required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--train", action="store_true", help="time one training step (torch only)")
    p.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=True,
                   help="with --train: the config's dropout (default) or none")
    p.add_argument("--task", choices=list(TASKS), help="with --train: BertFor<task> (MODEL's head, else a new one)")
    args = p.parse_args()
    if args.task and not args.train:
        p.error("--task needs --train")
    # OpenMP threads spin between parallel regions by default; that is PyTorch's normal behaviour, kept.
    if args.train:
        cfg, times, version = run_torch_train(args)
    else:
        cfg, times, version = BACKENDS[args.backend][1](args)
    median = statistics.median(times)
    print(json.dumps({
        "backend": BACKENDS[args.backend][0], "version": version,
        "mode": (f"train{' ' + args.task if args.task else ''}, dropout {'on' if args.dropout else 'off'}"
                 if args.train else "forward"),
        "model": args.model, **({"task": args.task} if args.task else {}), "batch": args.batch, "seq": args.seq, "threads": args.threads, "runs": len(times),
        "medianMs": median, "minMs": min(times), "cpuMsPerBatch": CPU_MS[0], "sequencesPerSecond": args.batch / (median / 1000),
        "gflops": flops(cfg, args.batch, args.seq) / (median / 1000) / 1e9,
        "peakRSSMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    sys.exit(main())
