#!/usr/bin/env python3
"""Tiny random RoBERTa and XLM-RoBERTa checkpoints of every head, in every weights format, with real
tokenizers, and their activation goldens.

    golden/.venv/bin/python golden/generate_roberta.py                # everything (the Keras part runs
                                                                      # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_roberta.py --skip-keras

One model per transformers class (HEADS below; RobertaModel with and without its pooler,
RobertaForMaskedLM tied and untied, RobertaForSequenceClassification single-label, multi-label and
regression), for both families (`roberta-*`, `xlmr-*`). Odd settings: hidden 24 with 3 heads or 20
with 5, intermediate 37, layer_norm_eps 1e-7, type_vocab_size 1, pad_token_id 1 and
max_position_embeddings 66 (so 64 usable positions: RoBERTa's start at pad + 1), hidden_act gelu_new
/ relu / silu / gelu (the masked-LM heads use gelu_new, so a head that followed hidden_act instead
of RobertaLMHead's fixed exact gelu would be caught). Weights are generate.py's `randomize_`.

Tokenizers (real ones, trained by generate_tokenizer_pipelines.py on golden/corpus, committed in
golden/fixtures/tokenizers/): roberta-* use roberta-bpe (byte-level BPE: tokenizer.json, vocab.json,
merges.txt), xlmr-* use xlmr-unigram (Unigram + Precompiled: tokenizer.json,
sentencepiece.bpe.model); tokenizer_config.json is what RobertaTokenizer / XLMRobertaTokenizer
save_pretrained writes (model_max_length 64).

golden/fixtures/families/<name>/ holds one transformers folder per format:
  safetensors/  save_pretrained (a tied decoder is not stored)
  bin/          torch.save(model.state_dict()) (tied tensors share storage, as transformers' .bin files);
                roberta-* only (the reader does not depend on the family)
  h5/           h5py, one dataset per safetensors key (generate_formats.py's writer); roberta-* only
  keras/        TFRoberta<Head> / TFXLMRoberta<Head>.save_pretrained (transformers 4.57.6 in
                golden/.venv-tf) through transformers' PyTorch -> TF loader; not for masked-lm-untied
                (TF decodes with the word embeddings) nor no-pooler (TFRobertaModel always has a pooler)
golden/expected/families/<name>.acts.safetensors: golden/record.py on the safetensors folder.
golden/fixtures/families/roberta-sentence-transformers/: roberta-pooler under mean Pooling +
Normalize, saved by sentence-transformers, with its record.py golden (`sentence_embedding`).

Deterministic (fixed seeds, one torch thread, sorted writers); offline. Reruns give the same files.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "families"
EXPECTED = HERE / "expected" / "families"
TOKENIZERS = HERE / "fixtures" / "tokenizers"
TF_PYTHON = HERE / ".venv-tf" / "bin" / "python"
FORMATS = ["safetensors", "bin", "h5", "keras"]

COMMON = dict(intermediate_size=37, max_position_embeddings=66, type_vocab_size=1, layer_norm_eps=1e-7,
              initializer_range=0.2, pad_token_id=1, bos_token_id=0, eos_token_id=2)
WIDE = dict(hidden_size=24, num_attention_heads=3)
NARROW = dict(hidden_size=20, num_attention_heads=5)
TOPICS = ["World", "Sports", "Business", "Sci/Tech", "Other"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def labels(names):
    return dict(id2label={i: n for i, n in enumerate(names)}, label2id={n: i for i, n in enumerate(names)})


# family: (class prefix, config class, model_type, tokenizer fixture, its files, tokenizer class)
FAMILIES = {
    "roberta": ("Roberta", "RobertaConfig", "roberta", "roberta-bpe", ["vocab.json", "merges.txt"], "RobertaTokenizer"),
    "xlmr": ("XLMRoberta", "XLMRobertaConfig", "xlm-roberta", "xlmr-unigram", ["sentencepiece.bpe.model"], "XLMRobertaTokenizer"),
}
# head name: (class suffix, config settings, RobertaModel's add_pooling_layer, weight seed offset)
HEADS = {
    "pooler": ("Model", dict(WIDE, num_hidden_layers=2, hidden_act="gelu"), True, 1),
    "no-pooler": ("Model", dict(NARROW, num_hidden_layers=1, hidden_act="relu"), False, 2),
    "masked-lm": ("ForMaskedLM", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), True, 3),
    "masked-lm-untied": ("ForMaskedLM", dict(NARROW, num_hidden_layers=1, hidden_act="gelu_new", tie_word_embeddings=False), True, 4),
    "sequence-classification": ("ForSequenceClassification", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new", **labels(TOPICS)), True, 5),
    "multi-label": ("ForSequenceClassification", dict(NARROW, num_hidden_layers=1, hidden_act="silu",
                                                      problem_type="multi_label_classification", **labels(TOPICS[:3])), True, 6),
    "regression": ("ForSequenceClassification", dict(NARROW, num_hidden_layers=1, hidden_act="relu", problem_type="regression",
                                                     num_labels=1), True, 7),
    "token-classification": ("ForTokenClassification", dict(NARROW, num_hidden_layers=1, hidden_act="relu", **labels(TAGS)), True, 8),
    "question-answering": ("ForQuestionAnswering", dict(WIDE, num_hidden_layers=1, hidden_act="gelu"), True, 9),
    "multiple-choice": ("ForMultipleChoice", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), True, 10),
}
NO_KERAS = {"masked-lm-untied": "TF's MLM head always decodes with the word embeddings",
            "no-pooler": "TFRobertaModel always builds its pooler"}
# The .bin and .h5 readers do not depend on the family: one family's heads are enough.
ALL_FORMATS_FAMILY = "roberta"
ST_NAME = "roberta-sentence-transformers"

SINGLES = [["The quick brown fox jumps over the lazy dog."], ["Who won the game?", "The team did, today."],
           ["Stock prices rose 5% in the city!"]]
TEXTS = {
    "masked-lm": [["The cat sat on the <mask>."], ["<mask> won the game?", "The team <mask>."], ["Hello world!"]],
    "masked-lm-untied": [["The dog sat on the <mask>."], ["Stock prices <mask> today."]],
    "question-answering": [["Who won the game?", "The team won the game today."],
                           ["Where is the cat?", "The cat sat on the mat, not in the bank."]],
    "multiple-choice": [["The cat sat on the", ["mat.", "stock market.", "big computer."]],
                        ["Prices fell at the", ["bank today.", "lazy dog.", "news."]]],
}


def names():
    return [f"{f}-{h}" for f in FAMILIES for h in HEADS]


def split(name: str):
    family, head = name.split("-", 1)
    return FAMILIES[family], HEADS[head], head


def head_config(name: str):
    import transformers

    (prefix, config_class, _, tok, _, _), (suffix, settings, _, _), _ = split(name)
    vocab = json.loads((TOKENIZERS / tok / "tokenizer.json").read_text("utf-8"))["model"]["vocab"]
    added = json.loads((TOKENIZERS / tok / "tokenizer.json").read_text("utf-8"))["added_tokens"]
    vocab_size = max(len(vocab), max(a["id"] for a in added) + 1)
    config = getattr(transformers, config_class)(vocab_size=vocab_size, **COMMON, **settings)
    config.architectures = [prefix + suffix]
    return config


def build_model(name: str):
    import torch
    import transformers
    from generate import randomize_

    (prefix, _, _, _, _, _), (suffix, _, pooler, offset), _ = split(name)
    config = head_config(name)
    kwargs = {} if suffix != "Model" else {"add_pooling_layer": pooler}
    model = getattr(transformers, prefix + suffix)(config, **kwargs)
    randomize_(model, 200 + offset + (0 if prefix == "Roberta" else 50))
    model.eval()
    if suffix == "ForMaskedLM":
        h = model.lm_head
        tied = h.decoder.weight is model.roberta.embeddings.word_embeddings.weight
        assert tied == config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def save_tokenizer(tokenizer, folder: Path) -> None:
    """tokenizer.json and tokenizer_config.json as save_pretrained writes them (sorted keys, without where
    this run loaded from)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tokenizer.save_pretrained(str(out))
        config = json.loads((out / "tokenizer_config.json").read_text("utf-8"))
        for k in ("is_local", "local_files_only"):  # where this run loaded from, not the tokenizer
            config.pop(k, None)
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
        shutil.copyfile(out / "tokenizer.json", folder / "tokenizer.json")


def load_tokenizer(tokenizer_json: Path, model_type: str, cls: str):
    """transformers' tokenizer class `cls` over a tokenizer.json, as a `model_type` folder loads it (model_max_length 64)."""
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        shutil.copyfile(tokenizer_json, t / "tokenizer.json")
        (t / "config.json").write_text(json.dumps({"model_type": model_type}), "utf-8")
        return getattr(transformers, cls).from_pretrained(str(t), model_max_length=64)


def write_tokenizer(name: str, folder: Path) -> None:
    """The family's tokenizer as its transformers class saves it, plus the slow files."""
    (_, _, model_type, tok, slow, cls), _, _ = split(name)
    save_tokenizer(load_tokenizer(TOKENIZERS / tok / "tokenizer.json", model_type, cls), folder)
    for f in slow:
        shutil.copyfile(TOKENIZERS / tok / f, folder / f)


# The files of a fixture folder besides the weights, whichever the family has (vocab.txt: DistilBERT's WordPiece;
# spiece.model: ALBERT's SentencePiece model).
FOLDER_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "sentencepiece.bpe.model", "spiece.model",
                "vocab.txt"]


def copy_folder_files(src: Path, dst: Path) -> None:
    for f in FOLDER_FILES:
        if (src / f).exists():
            shutil.copyfile(src / f, dst / f)


def write_formats(name: str) -> None:
    save_formats(name, build_model(name), lambda st: write_tokenizer(name, st), name.startswith(ALL_FORMATS_FAMILY + "-"))


def save_formats(name: str, model, write_tokenizer_into, every_format: bool) -> None:
    """fixtures/families/<name>/safetensors (save_pretrained + the tokenizer), and with `every_format`
    bin/ (torch.save of the state_dict: tied tensors share storage) and h5/ (one dataset per safetensors key)."""
    import torch
    from collections import OrderedDict
    from safetensors.torch import load_file
    from generate_formats import save_h5

    root = FIXTURES / name
    st = fresh(root / "safetensors")
    model.save_pretrained(st)
    write_tokenizer_into(st)
    state = load_file(str(st / "model.safetensors"))
    if not every_format:
        return
    b = fresh(root / "bin")
    torch.save(OrderedDict((k, v) for k, v in model.state_dict().items()), str(b / "pytorch_model.bin"))
    copy_folder_files(st, b)
    h = fresh(root / "h5")
    save_h5(state, h / "model.h5")
    copy_folder_files(st, h)


def write_sentence_transformers(source: str = "roberta-pooler", name: str = ST_NAME, examples=None) -> None:
    """Fixture `source`'s encoder under mean Pooling + Normalize, saved by sentence-transformers as `name`, with its golden."""
    from sentence_transformers import SentenceTransformer, models

    t = models.Transformer(str(FIXTURES / source / "safetensors"))
    st = SentenceTransformer(modules=[t, models.Pooling(t.get_embedding_dimension(), "mean"), models.Normalize()], device="cpu")
    d = fresh(FIXTURES / name)
    st.save(str(d))
    (d / "README.md").unlink()  # the generated model card: nothing bertkit reads
    write_golden(name, d, examples or SINGLES)


def write_golden(name: str, folder: Path = None, examples=None) -> None:
    import record
    from golden_io import save_safetensors

    folder = folder or FIXTURES / name / "safetensors"
    examples = examples or TEXTS.get(name.split("-", 1)[1], SINGLES)
    tensors = record.record(folder, examples)
    source = str(folder.relative_to(HERE.parent))
    save_safetensors(EXPECTED / f"{name}.acts.safetensors", tensors, record.metadata(examples, source, record.architecture(folder)))


# ---------------------------------------------------------------------------------------------
# Keras (runs inside golden/.venv-tf, transformers 4.57.6)
# ---------------------------------------------------------------------------------------------

def write_keras(name: str, tf_class: str, config_class: str, tied=None) -> None:
    """fixtures/families/<name>/keras: the TF class (`TFRobertaForMaskedLM`) loaded from the safetensors
    folder's weights by transformers' PyTorch -> TF loader (every weight set), then save_pretrained.
    `tied` {name: source}: tensors save_pretrained left out as tied that the TF class holds as its own
    weight (TFAlbertForMaskedLM's `predictions.decoder.bias`), given the source's values."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import transformers

    st = FIXTURES / name / "safetensors"
    d = fresh(FIXTURES / name / "keras")
    copy_folder_files(st, d)
    save_keras(getattr(transformers, tf_class), getattr(transformers, config_class), st, d, tied)


def save_keras(tf_class, config_class, st: Path, d: Path, tied=None) -> None:
    """`tf_class` built from the safetensors folder `st`'s config and weights (transformers' PyTorch -> TF
    loader, every tensor used), saved as `d`/tf_model.h5 (inside golden/.venv-tf)."""
    import transformers
    from safetensors.numpy import load_file
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    model = tf_class(config_class.from_pretrained(st))
    model.build_in_name_scope()
    state = load_file(str(st / "model.safetensors"))
    state.update({k: state[v] for k, v in (tied or {}).items() if k not in state and v in state})
    _, info = load_pytorch_state_dict_in_tf2_model(model, state, tf_inputs=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], (st, info)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        shutil.copyfile(Path(tmp) / "tf_model.h5", d / "tf_model.h5")
    print(f"wrote {d / 'tf_model.h5'} with transformers {transformers.__version__}", file=sys.stderr)


def keras_part() -> None:
    for name in names():
        (prefix, config_class, _, _, _, _), (suffix, _, _, _), head = split(name)
        if head not in NO_KERAS:
            write_keras(name, "TF" + prefix + suffix, config_class)


def run(doc: str, script: str, generate, keras) -> None:
    """The command line of a family's generator: `generate()` in golden/.venv, then `keras()` in
    golden/.venv-tf (the script run again with --keras-only) unless --skip-keras."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-keras", action="store_true")
    ap.add_argument("--keras-only", action="store_true", help="(used inside golden/.venv-tf)")
    args = ap.parse_args()
    if args.keras_only:
        keras()
        return
    from generate import setup_torch

    setup_torch()
    generate()
    if not args.skip_keras:
        if not TF_PYTHON.exists():
            sys.exit(f"{TF_PYTHON} is missing (golden/requirements-tf.txt), or pass --skip-keras")
        subprocess.run([str(TF_PYTHON), script, "--keras-only"], check=True)


def generate_main(doc: str, script: str, names, write_formats, write_golden, keras_part, sentence_transformers) -> None:
    """`run` for a family's generator (this one, generate_electra.py, generate_distilbert.py): every
    fixture's formats and golden, the sentence-transformers fixture, then the Keras part in golden/.venv-tf.
    (generate_mpnet.py, which trains its tokenizer first, calls `run` itself.)"""
    def generate() -> None:
        for name in names():
            write_formats(name)
            write_golden(name)
            print(f"wrote {FIXTURES / name} and {EXPECTED / name}.acts.safetensors", file=sys.stderr)
        sentence_transformers()

    run(doc, script, generate, keras_part)


def main() -> None:
    generate_main(__doc__, __file__, names, write_formats, write_golden, keras_part, write_sentence_transformers)


if __name__ == "__main__":
    main()
