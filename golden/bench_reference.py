#!/usr/bin/env python3
"""Times the references bertkit bench is compared with: PyTorch eager and ONNX Runtime.

Same forward as `bertkit bench` (BertModel with its pooler, synthetic ids, every position real),
same batch shape and thread count; warm-up runs, then timed runs, median reported. One backend per
process so each peak RSS is its own. Prints one JSON object per line.

  golden/.venv/bin/python golden/bench_reference.py MODEL --backend torch --batch 8 --seq 128 --threads 2
  golden/.venv/bin/python golden/bench_reference.py MODEL --backend ort   --batch 8 --seq 128 --threads 2
  golden/.venv/bin/python golden/bench_reference.py MODEL --backend torch --train   # one training step

--train times what `bertkit bench --train` does: BertForSequenceClassification (2 labels, eager
attention), train() with the config's dropout (--no-dropout: all dropout 0, as `bertkit bench
--train --no-dropout`), forward with labels (cross-entropy), backward,
torch.optim.AdamW(lr=1e-6, foreach=False) step, zero_grad(set_to_none=False).

PyTorch runs eagerly (no torch.compile) under torch.inference_mode() with transformers' default
attention (sdpa). ONNX Runtime runs the model exported by torch.onnx.export (opset 17, the
TorchScript exporter, cached under .cache/onnx/), CPU provider, all graph optimisations on,
intra-op threads = --threads, inter-op threads = 1.
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


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def run_torch(args):
    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model = transformers.BertModel.from_pretrained(args.model).eval()
    ids, mask, types = synthetic(model.config, args.batch, args.seq, torch)
    with torch.inference_mode():
        times = timed(lambda: model(input_ids=ids, attention_mask=mask, token_type_ids=types), args.warmup, args.runs)
    return model.config, times, f"torch {torch.__version__} / transformers {transformers.__version__}"


def run_torch_train(args):
    import torch
    import transformers
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    off = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
    model = transformers.BertForSequenceClassification.from_pretrained(
        args.model, num_labels=2, attn_implementation="eager", **({} if args.dropout else off)).train()
    ids, mask, types = synthetic(model.config, args.batch, args.seq, torch)
    labels = torch.arange(args.batch) % 2
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, foreach=False)

    def step():
        opt.zero_grad(set_to_none=False)
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
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


def run_ort(args):
    import onnxruntime as ort
    import torch
    import transformers
    model = transformers.BertModel.from_pretrained(args.model, attn_implementation="eager").eval()
    cfg = model.config
    path = onnx_path(args, cfg)
    ids, mask, types = synthetic(cfg, args.batch, args.seq, torch)
    if not os.path.exists(path):
        tmp = path + ".partial"
        axes = {0: "batch", 1: "seq"}
        class Positional(torch.nn.Module):
            # transformers' forward takes these by keyword; the exporter passes positionally.
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return o.last_hidden_state, o.pooler_output

        with torch.no_grad():
            torch.onnx.export(Positional(model), (ids, mask, types), tmp, input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["last_hidden_state", "pooler_output"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes})
        os.replace(tmp, path)
    del model
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
    times = timed(lambda: sess.run(None, feed), args.warmup, args.runs)
    return cfg, times, f"onnxruntime {ort.__version__}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--backend", choices=["torch", "ort"], required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--train", action="store_true", help="time one training step (torch only)")
    p.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=True,
                   help="with --train: the config's dropout (default) or none")
    args = p.parse_args()
    # OpenMP threads spin between parallel regions by default; that is PyTorch's normal behaviour, kept.
    if args.train:
        cfg, times, version = run_torch_train(args)
    else:
        cfg, times, version = run_torch(args) if args.backend == "torch" else run_ort(args)
    median = statistics.median(times)
    print(json.dumps({
        "backend": "pytorch" if args.backend == "torch" else "onnxruntime", "version": version,
        "mode": f"train, dropout {'on' if args.dropout else 'off'}" if args.train else "forward",
        "model": args.model, "batch": args.batch, "seq": args.seq, "threads": args.threads, "runs": len(times),
        "medianMs": median, "minMs": min(times), "sequencesPerSecond": args.batch / (median / 1000),
        "gflops": flops(cfg, args.batch, args.seq) / (median / 1000) / 1e9,
        "peakRSSMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    sys.exit(main())
