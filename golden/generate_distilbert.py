#!/usr/bin/env python3
"""Tiny random DistilBERT checkpoints of every head, in every weights format, with a real WordPiece
tokenizer, and their activation goldens.

    golden/.venv/bin/python golden/generate_distilbert.py                # everything (the Keras part
                                                                         # runs in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_distilbert.py --skip-keras

One model per transformers class (HEADS below: DistilBertModel with learned and with sinusoidal
positions, DistilBertForMaskedLM tied and untied (`tie_word_embeddings: false`: its own
`vocab_projector.weight`, still one bias), DistilBertForSequenceClassification single-label,
multi-label and regression, token classification, QA, multiple choice). Odd settings: dim 24 with
3 heads or 20 with 5, hidden_dim 37, max_position_embeddings 40, activation gelu / gelu_new / relu /
silu (the masked-LM head follows `activation`, which is what DistilBertForMaskedLM does). Weights are
generate.py's `randomize_` rule, with DistilBERT's `sa_layer_norm` / `output_layer_norm` /
`vocab_layer_norm` weights treated as LayerNorm weights (1 + N(0, 0.25)).

`sinusoidal`: `sinusoidal_pos_embds: true`, and the stored position table is random, not the
sinusoidal formula. transformers 5.23 computes the formula only in `_init_weights`; `from_pretrained`
uses the stored table. This script checks that (the reloaded table is the stored one, and not the
formula), so the golden only verifies for a reader that uses the stored table as well.

Tokenizer: golden/fixtures/tiny-vocab.txt through DistilBertTokenizer (BERT's WordPiece; its
`model_input_names` has no token_type_ids), saved by save_pretrained (tokenizer.json,
tokenizer_config.json, vocab.txt; model_max_length 40).

golden/fixtures/families/distilbert-<head>/ holds one transformers folder per format:
  safetensors/  save_pretrained (a tied vocab_projector.weight is not stored; masked-lm-untied's is)
  bin/          torch.save(model.state_dict()) (the tied tensors share storage)
  h5/           h5py, one dataset per safetensors key (generate_formats.py's writer)
  keras/        TFDistilBert<Head>.save_pretrained (transformers 4.57.6 in golden/.venv-tf) through
                transformers' PyTorch -> TF loader; not for masked-lm-untied (NO_KERAS)
golden/expected/families/distilbert-<head>.acts.safetensors: golden/record.py on the safetensors folder.
golden/fixtures/families/distilbert-sentence-transformers/: distilbert-base under mean Pooling +
Normalize, saved by sentence-transformers, with its record.py golden (`sentence_embedding`).

Deterministic (fixed seeds, one torch thread, sorted writers); offline. Reruns give the same files.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
import shutil
import tempfile
from pathlib import Path

import generate_roberta
from generate_roberta import FIXTURES, TOPICS, TAGS, copy_folder_files, fresh, labels

HERE = Path(__file__).resolve().parent
VOCAB = HERE / "fixtures" / "tiny-vocab.txt"

COMMON = dict(hidden_dim=37, max_position_embeddings=40, initializer_range=0.2, pad_token_id=0)
WIDE = dict(dim=24, n_heads=3)
NARROW = dict(dim=20, n_heads=5)
# head name: (class suffix, config settings, weight seed)
HEADS = {
    "base": ("Model", dict(WIDE, n_layers=2, activation="gelu"), 401),
    "sinusoidal": ("Model", dict(NARROW, n_layers=1, activation="relu", sinusoidal_pos_embds=True), 402),
    "masked-lm": ("ForMaskedLM", dict(NARROW, n_layers=2, activation="gelu_new"), 403),
    "masked-lm-untied": ("ForMaskedLM", dict(WIDE, n_layers=1, activation="gelu", tie_word_embeddings=False), 410),
    "sequence-classification": ("ForSequenceClassification", dict(WIDE, n_layers=2, activation="gelu", **labels(TOPICS)), 404),
    "multi-label": ("ForSequenceClassification", dict(NARROW, n_layers=1, activation="silu",
                                                      problem_type="multi_label_classification", **labels(TOPICS[:3])), 405),
    "regression": ("ForSequenceClassification", dict(NARROW, n_layers=1, activation="relu", problem_type="regression",
                                                     num_labels=1), 406),
    "token-classification": ("ForTokenClassification", dict(NARROW, n_layers=1, activation="gelu_new", **labels(TAGS)), 407),
    "question-answering": ("ForQuestionAnswering", dict(WIDE, n_layers=1, activation="gelu"), 408),
    "multiple-choice": ("ForMultipleChoice", dict(NARROW, n_layers=2, activation="gelu_new"), 409),
}
ST_NAME = "distilbert-sentence-transformers"
# TFDistilBertForMaskedLM always decodes with the word embeddings (TFDistilBertLMHead gets them as `input_embeddings`).
NO_KERAS = {"masked-lm-untied": "TFDistilBertForMaskedLM has no untied decoder"}

SINGLES = [["The quick brown fox jumps over the lazy dog."], ["Who won the game?", "The team did, today."],
           ["Stock prices rose 5% in the city!"]]
TEXTS = {
    "masked-lm": [["The cat sat on the [MASK]."], ["[MASK] won the game?", "The team [MASK]."], ["Hello world!"]],
    "masked-lm-untied": [["The dog sat on the [MASK]."], ["Stock prices [MASK] today."]],
    "question-answering": [["Who won the game?", "The team won the game today."],
                           ["Where is the cat?", "The cat sat on the mat, not in the bank."]],
    "multiple-choice": [["The cat sat on the", ["mat.", "stock market.", "big computer."]],
                        ["Prices fell at the", ["bank today.", "lazy dog.", "news."]]],
}


def names():
    return [f"distilbert-{h}" for h in HEADS]


def head_of(name: str) -> str:
    return name[len("distilbert-"):]


def head_config(name: str):
    import transformers

    suffix, settings, _ = HEADS[head_of(name)]
    vocab_size = len(VOCAB.read_text("utf-8").splitlines())
    config = transformers.DistilBertConfig(vocab_size=vocab_size, **COMMON, **settings)
    config.architectures = ["DistilBert" + suffix]
    return config


def randomize_(model, seed: int) -> None:
    """generate.py's rule, with DistilBERT's `*_layer_norm.weight` counted as LayerNorm weights."""
    import torch

    g = torch.Generator().manual_seed(seed)
    std = model.config.initializer_range
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight"):
                p.copy_(1.0 + 0.25 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.2 * noise)
            else:
                p.copy_(std * noise)


def build_model(name: str):
    import torch
    import transformers

    suffix, _, seed = HEADS[head_of(name)]
    model = getattr(transformers, "DistilBert" + suffix)(head_config(name))
    randomize_(model, seed)
    model.eval()
    if suffix == "ForMaskedLM":
        tied = model.vocab_projector.weight is model.distilbert.embeddings.word_embeddings.weight
        assert tied == model.config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def sinusoidal_table(n_pos: int, dim: int):
    import torch
    from transformers.models.distilbert.modeling_distilbert import _create_sinusoidal_embeddings

    return _create_sinusoidal_embeddings(n_pos, dim, torch.empty(n_pos, dim))


def check_stored_table_is_used(folder: Path) -> None:
    """transformers 5.23 keeps a sinusoidal model's stored position table (see the docstring)."""
    import torch
    import transformers
    from safetensors.torch import load_file

    stored = load_file(str(folder / "model.safetensors"))["embeddings.position_embeddings.weight"]
    model = transformers.DistilBertModel.from_pretrained(str(folder))
    assert model.config.sinusoidal_pos_embds
    loaded = model.embeddings.position_embeddings.weight.detach()
    assert torch.equal(loaded, stored), "from_pretrained replaced the stored table"
    formula = sinusoidal_table(*stored.shape)
    assert not torch.allclose(stored, formula), "the fixture's table must differ from the formula"


def write_tokenizer(folder: Path) -> None:
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        # from_pretrained on a vocab.txt folder converts it; 5.23's DistilBertTokenizer(vocab_file=…) keeps only
        # the five special tokens.
        shutil.copyfile(VOCAB, Path(tmp) / "vocab.txt")
        (Path(tmp) / "config.json").write_text(json.dumps({"model_type": "distilbert"}), "utf-8")
        tokenizer = transformers.DistilBertTokenizer.from_pretrained(tmp, model_max_length=40)
        assert len(tokenizer) == len(VOCAB.read_text("utf-8").splitlines()), len(tokenizer)
        assert "token_type_ids" not in tokenizer.model_input_names
        for f in ("vocab.txt", "config.json"):
            (Path(tmp) / f).unlink()
        tokenizer.save_pretrained(tmp)
        config = json.loads((Path(tmp) / "tokenizer_config.json").read_text("utf-8"))
        for k in ("is_local", "local_files_only"):  # where this run loaded from, not the tokenizer
            config.pop(k, None)
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
        shutil.copyfile(Path(tmp) / "tokenizer.json", folder / "tokenizer.json")
    shutil.copyfile(VOCAB, folder / "vocab.txt")


def write_formats(name: str) -> None:
    import torch
    from collections import OrderedDict
    from safetensors.torch import load_file
    from generate_formats import save_h5

    model = build_model(name)
    root = FIXTURES / name
    st = fresh(root / "safetensors")
    model.save_pretrained(st)
    write_tokenizer(st)
    if head_of(name) == "sinusoidal":
        check_stored_table_is_used(st)
    b = fresh(root / "bin")
    torch.save(OrderedDict((k, v) for k, v in model.state_dict().items()), str(b / "pytorch_model.bin"))
    copy_folder_files(st, b)
    h = fresh(root / "h5")
    save_h5(load_file(str(st / "model.safetensors")), h / "model.h5")
    copy_folder_files(st, h)


def write_golden(name: str) -> None:
    generate_roberta.write_golden(name, FIXTURES / name / "safetensors", TEXTS.get(head_of(name), SINGLES))


def keras_part() -> None:
    """Inside golden/.venv-tf (transformers 4.57.6): TFDistilBert<Head> from the safetensors folder."""
    for name in (n for n in names() if head_of(n) not in NO_KERAS):
        generate_roberta.write_keras(name, "TFDistilBert" + HEADS[head_of(name)][0], "DistilBertConfig")


def main() -> None:
    generate_roberta.generate_main(__doc__, __file__, names, write_formats, write_golden, keras_part,
                                   lambda: generate_roberta.write_sentence_transformers("distilbert-base", ST_NAME, SINGLES))


if __name__ == "__main__":
    main()
