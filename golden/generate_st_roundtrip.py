#!/usr/bin/env python3
"""sentence-transformers goldens: does a model keep its embeddings through bertkit's conversions?

Step 1 (needs only the venv and the MiniLM folder) writes the fixture and the embeddings:

    HF_HUB_OFFLINE=1 golden/.venv/bin/python golden/generate_st_roundtrip.py

  golden/fixtures/tiny-st-dense/            a sentence-transformers folder built from fixtures/tiny-bert:
                                            every module setting bertkit carries is set away from its
                                            default (see TINY below)
  golden/expected/st/tiny-st-dense.safetensors
                                            SentenceTransformer.encode of TINY_TEXTS on that folder, with
                                            the default prompt ("query") and with prompt_name="passage"
  golden/expected/st/minilm-long.safetensors
                                            SentenceTransformer.encode of MiniLM on 24 news texts, 20 of
                                            them longer than its max_seq_length (256)

Step 2 runs sentence-transformers on bertkit's exports (folder -> .bkm -> folder) and compares:

    swift build --product bertkit
    bk=.build/debug/bertkit; t=$(mktemp -d)
    $bk convert .cache/models/all-MiniLM-L6-v2 $t/minilm.bkm && $bk convert $t/minilm.bkm $t/minilm-hf
    $bk convert golden/fixtures/tiny-st-dense $t/tiny.bkm && $bk convert $t/tiny.bkm $t/tiny-hf
    HF_HUB_OFFLINE=1 golden/.venv/bin/python golden/generate_st_roundtrip.py --roundtrip $t/minilm-hf $t/tiny-hf

  golden/expected/st/roundtrip.json         per model: the largest |difference| between the original
                                            folder's and the export's embeddings, both max_seq_length
                                            values sentence-transformers reports, and the SHA-256 of
                                            every file of the export (so a test can tell that the
                                            export it makes today is the one measured here)

Deterministic (fixed seeds, one thread, sorted keys, golden_io's safetensors writer): reruns give
byte-identical files.
"""

import offline_env  # noqa: F401  (before transformers)

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import torch

from golden_io import save_safetensors, write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = HERE / "fixtures"
OUT = HERE / "expected" / "st"
TINY = FIXTURES / "tiny-st-dense"
MINILM = Path(__import__("os").environ.get("BERTKIT_MINILM", REPO / ".cache/models/all-MiniLM-L6-v2"))

# The tiny model's texts: upper case (the tokenizer is cased and its vocabulary lower case, so
# sentence_bert_config's do_lower_case decides between words and [UNK]), accents (kept: lowercasing
# alone does not strip them), and lengths on both sides of max_seq_length (16, the prompt included).
TINY_TEXTS = [
    "Hello World",
    "The Quick Brown FOX jumped over the LAZY dog",
    "Café Señor: the BANK rose today, and the STOCK market fell for the first time this year.",
    "WHO won the GAME? The team did not play, said the people of the city.",
    "a",
    "Data Science and Computer Tech news: the new model is good, the old one was great.",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_tiny() -> None:
    """fixtures/tiny-bert as a sentence-transformers model: Transformer -> Pooling (mean, prompt
    excluded) -> Dense 32->24 (bias, Tanh; safetensors) -> Dense 24->16 (no bias, Identity; .bin)
    -> Normalize, max_seq_length 16, do_lower_case on a cased tokenizer, two prompts with a default,
    a similarity function and truncate_dim 12. Module type names use both spellings
    (`sentence_transformers.models.X` and sentence-transformers 5+'s full paths)."""
    if TINY.exists():
        shutil.rmtree(TINY)
    TINY.mkdir(parents=True)
    src = FIXTURES / "tiny-bert"
    for f in ["config.json", "model.safetensors", "vocab.txt", "special_tokens_map.json"]:
        shutil.copyfile(src / f, TINY / f)
    tok = json.loads((src / "tokenizer_config.json").read_text())
    tok["do_lower_case"] = False
    write_text(TINY / "tokenizer_config.json", dump(tok))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.base.modules.dense.Dense"},
        {"idx": 4, "name": "4", "path": "4_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"},
    ]
    write_text(TINY / "modules.json", dump(modules))
    write_text(TINY / "sentence_bert_config.json", dump({"max_seq_length": 16, "do_lower_case": True}))
    write_text(TINY / "config_sentence_transformers.json", dump({
        "__version__": {"sentence_transformers": "6.2.0", "transformers": "5.23.0", "pytorch": "2.13.0+cpu"},
        "model_type": "SentenceTransformer",
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": "query",
        "similarity_fn_name": "dot",
        "truncate_dim": 12,
    }))
    (TINY / "1_Pooling").mkdir()
    write_text(TINY / "1_Pooling/config.json", dump({"embedding_dimension": 32, "pooling_mode": "mean", "include_prompt": False}))
    g = torch.Generator().manual_seed(20240617)
    (TINY / "2_Dense").mkdir()
    write_text(TINY / "2_Dense/config.json", dump({
        "in_features": 32, "out_features": 24, "bias": True, "activation_function": "torch.nn.modules.activation.Tanh"}))
    save_safetensors(TINY / "2_Dense/model.safetensors",
                     {"linear.weight": torch.randn(24, 32, generator=g) * 0.4, "linear.bias": torch.randn(24, generator=g) * 0.1},
                     {"format": "pt"})
    (TINY / "3_Dense").mkdir()
    write_text(TINY / "3_Dense/config.json", dump({
        "in_features": 24, "out_features": 16, "bias": False, "activation_function": "torch.nn.modules.linear.Identity"}))
    from collections import OrderedDict
    torch.save(OrderedDict({"linear.weight": torch.randn(16, 24, generator=g) * 0.3}), str(TINY / "3_Dense/pytorch_model.bin"))


def load_st(folder: Path):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(folder), device="cpu")


def encode(model, texts, **kw) -> torch.Tensor:
    e = model.encode(texts, batch_size=len(texts), convert_to_tensor=True, **kw)
    return e.detach().to(torch.float32).cpu()


def news_texts() -> list:
    """24 texts from golden/data/agnews-mini/source: 20 made of consecutive news items until they
    pass a token count (280 to 600 tokens, all past MiniLM's 256), then 4 single items."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(MINILM))
    items = []
    for name in ["world", "business", "sports", "scitech"]:
        blocks = (HERE / "data/agnews-mini/source" / f"{name}.txt").read_text().split("\n\n")
        items += [" ".join(b.split("\n")).strip() for b in blocks if b.strip()]
    texts, k = [], 0
    for i in range(20):
        goal = 280 + i * 16
        parts = []
        while len(tok(" ".join(parts))["input_ids"]) < goal:
            parts.append(items[k % len(items)])
            k += 1
        texts.append(" ".join(parts))
    texts += [items[(k + j * 7) % len(items)] for j in range(4)]
    return texts


def goldens() -> None:
    torch.manual_seed(0)
    build_tiny()
    tiny = load_st(TINY)
    assert tiny.max_seq_length == 16 and tiny.default_prompt_name == "query" and tiny.truncate_dim == 12, tiny
    q, p = encode(tiny, TINY_TEXTS), encode(tiny, TINY_TEXTS, prompt_name="passage")
    assert q.shape == (len(TINY_TEXTS), 12) and not torch.equal(q, p)
    ids = [tiny.tokenize([tiny.prompts["query"] + t])["input_ids"].shape[-1] for t in TINY_TEXTS]
    assert max(ids) == 16 and min(ids) < 16, ids  # some truncated, some not
    save_safetensors(OUT / "tiny-st-dense.safetensors", {"query": q, "passage": p},
                     {"texts": json.dumps(TINY_TEXTS, ensure_ascii=False), "max_seq_length": "16"})

    texts = news_texts()
    m = load_st(MINILM)
    assert m.max_seq_length == 256
    lengths = [len(m.tokenizer(t)["input_ids"]) for t in texts]
    assert sum(n > 256 for n in lengths) == 20, lengths
    e = encode(m, texts)
    save_safetensors(OUT / "minilm-long.safetensors",
                     {"sentence_embedding": e, "token_counts": torch.tensor(lengths, dtype=torch.int64)},
                     {"texts": json.dumps(texts, ensure_ascii=False), "max_seq_length": "256"})
    print(f"tiny: {q.shape}, minilm: {e.shape}, token counts {min(lengths)}..{max(lengths)}")


def compare(original: Path, export: Path, texts: list, prompt_names: list) -> dict:
    a, b = load_st(original), load_st(export)
    worst = 0.0
    for name in prompt_names:
        ea, eb = encode(a, texts, prompt_name=name), encode(b, texts, prompt_name=name)
        assert ea.shape == eb.shape, (ea.shape, eb.shape)
        worst = max(worst, (ea - eb).abs().max().item())
    files = sorted(p for p in export.rglob("*") if p.is_file())
    return {
        "texts": len(texts),
        "max_abs_difference": worst,
        "max_seq_length": {"original": a.max_seq_length, "export": b.max_seq_length},
        "embedding_dimension": {"original": a.get_embedding_dimension(), "export": b.get_embedding_dimension()},
        "export_files": {str(p.relative_to(export)): sha256(p) for p in files},
    }


def roundtrip(minilm_export: Path, tiny_export: Path) -> None:
    torch.manual_seed(0)
    texts = json.loads(__import__("safetensors").safe_open(str(OUT / "minilm-long.safetensors"), "pt").metadata()["texts"])
    result = {
        "minilm": compare(MINILM, minilm_export, texts, [None]),
        "tiny-st-dense": compare(TINY, tiny_export, TINY_TEXTS, [None, "passage"]),
    }
    write_text(OUT / "roundtrip.json", dump(result))
    for k, v in result.items():
        print(k, v["max_abs_difference"], v["max_seq_length"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--roundtrip", nargs=2, metavar=("MINILM_EXPORT", "TINY_EXPORT"), type=Path,
                    help="compare sentence-transformers on these bertkit exports with the originals")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.roundtrip:
        roundtrip(*args.roundtrip)
    else:
        goldens()


if __name__ == "__main__":
    sys.exit(main())
