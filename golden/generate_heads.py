#!/usr/bin/env python3
"""Tiny random checkpoints of every BERT head, in every weights format, and their activation goldens.

    golden/.venv/bin/python golden/generate_heads.py                 # everything (the Keras part runs
                                                                     # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_heads.py --skip-keras

One model per transformers class (HEADS below; BertModel twice, with and without its pooler, and
BertForMaskedLM twice, tied and untied), each with odd settings: hidden 24 with 3 heads or 20 with 5,
intermediate 37, gelu_new / gelu / relu / silu, layer_norm_eps 1e-7, type_vocab_size 3, 64 positions,
num_labels 5 for the classifier heads. Weights are generate.py's `randomize_` (every parameter from a
seeded generator: no LayerNorm weight is 1, no bias 0). The tiny vocabulary and its tokenizer files
are generate.py's.

golden/fixtures/heads/<name>/ holds one complete transformers folder (config.json and the tokenizer
files) per format:

  safetensors/   save_pretrained: model.safetensors (a tied decoder is not stored)
  sharded/       save_pretrained(max_shard_size="24KB"): model-0000k-of-0000n.safetensors + index
  bin/           torch.save(model.state_dict()): a tied decoder.weight / decoder.bias share the word
                 embeddings' / cls.predictions.bias's storage, as transformers' own .bin files do
  h5-flat/       h5py, one dataset per safetensors key (generate_formats.py's writer)
  h5-nested/     the same keys split at the dots into groups
  keras/         TFBert<Head>.save_pretrained (transformers 4.57.6 in golden/.venv-tf), from the
                 safetensors through transformers' PyTorch -> TF loader; not for masked-lm-untied
                 (TF's MLM head always decodes with the word embeddings)

golden/expected/heads/<name>.acts.safetensors: golden/record.py on the safetensors folder with the
texts of TEXTS (multiple choice: 2 contexts × 3 choices), so the committed goldens are what users
get from that script.

golden/fixtures/heads/sentence-transformers/: bert-pooler with mean Pooling + Normalize, saved by
sentence-transformers (6.2.0: modules.json, 1_Pooling/, 2_Normalize/, tokenizer.json; its generated
README.md dropped), and expected/heads/sentence-transformers.acts.safetensors, whose record.py run
adds `sentence_embedding`.

Deterministic (fixed seeds, one torch thread, sorted writers); offline. Reruns give byte-identical files.
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
FIXTURES = HERE / "fixtures" / "heads"
EXPECTED = HERE / "expected" / "heads"
VOCAB = HERE / "fixtures" / "tiny-vocab.txt"
TF_PYTHON = HERE / ".venv-tf" / "bin" / "python"
FOLDER_FILES = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]
FORMATS = ["safetensors", "sharded", "bin", "h5-flat", "h5-nested", "keras"]
SHARD_SIZE = "24KB"

COMMON = dict(intermediate_size=37, max_position_embeddings=64, type_vocab_size=3, layer_norm_eps=1e-7,
              initializer_range=0.2, pad_token_id=0)
WIDE = dict(hidden_size=24, num_attention_heads=3)
NARROW = dict(hidden_size=20, num_attention_heads=5)
TOPICS = ["World", "Sports", "Business", "Sci/Tech", "Other"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def labels(names):
    return dict(id2label={i: n for i, n in enumerate(names)}, label2id={n: i for i, n in enumerate(names)})


# name: (transformers class, config settings, BertModel's add_pooling_layer, weight seed)
HEADS = {
    "bert-pooler": ("BertModel", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new"), True, 101),
    "bert-no-pooler": ("BertModel", dict(NARROW, num_hidden_layers=1, hidden_act="relu"), False, 102),
    "pretraining": ("BertForPreTraining", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new"), True, 103),
    "masked-lm": ("BertForMaskedLM", dict(NARROW, num_hidden_layers=1, hidden_act="relu"), True, 104),
    "masked-lm-untied": ("BertForMaskedLM", dict(NARROW, num_hidden_layers=1, hidden_act="gelu",
                                                 tie_word_embeddings=False), True, 105),
    "next-sentence": ("BertForNextSentencePrediction", dict(WIDE, num_hidden_layers=1, hidden_act="silu"), True, 106),
    "sequence-classification": ("BertForSequenceClassification",
                                dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new", **labels(TOPICS)), True, 107),
    "token-classification": ("BertForTokenClassification",
                             dict(NARROW, num_hidden_layers=1, hidden_act="relu", **labels(TAGS)), True, 108),
    "question-answering": ("BertForQuestionAnswering", dict(WIDE, num_hidden_layers=1, hidden_act="gelu"), True, 109),
    "multiple-choice": ("BertForMultipleChoice", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), True, 110),
}
NO_KERAS = {"masked-lm-untied": "TF's MLM head has no untied decoder"}
# A sentence-transformers folder (not a head): record.py's `sentence_embedding`.
ST_NAME = "sentence-transformers"

# Examples for record.py: [text], [text, pair], or [context, [choices]]. Words of the tiny vocabulary.
SINGLES = [["the quick brown fox jumps over the lazy dog."], ["who won the game?", "the team did, today."],
           ["stock prices rose 5% in the city!"]]
TEXTS = {
    "masked-lm": [["the cat sat on the [MASK]."], ["[MASK] won the game?", "the team [MASK]."], ["hello world!"]],
    "masked-lm-untied": [["the dog sat on the [MASK]."], ["stock prices [MASK] today."]],
    "pretraining": [["the cat sat on the [MASK].", "the dog did not."], ["prices rose.", "the [MASK] fell."]],
    "next-sentence": [["the team won the game.", "people in the city rose up."], ["where is the bank?", "here."]],
    "question-answering": [["who won the game?", "the team won the game today."],
                           ["where is the cat?", "the cat sat on the mat, not in the bank."]],
    "multiple-choice": [["the cat sat on the", ["mat.", "stock market.", "big computer."]],
                        ["prices fell at the", ["bank today.", "lazy dog.", "news."]]],
}


def head_config(name: str):
    from transformers import BertConfig

    vocab = VOCAB.read_text("utf-8").splitlines()
    cls, settings, _, _ = HEADS[name]
    config = BertConfig(vocab_size=len(vocab), **COMMON, **settings)
    config.architectures = [cls]
    return config


def build_model(name: str):
    import torch
    import transformers
    from generate import randomize_

    cls, _, pooler, seed = HEADS[name]
    config = head_config(name)
    kwargs = {} if cls != "BertModel" else {"add_pooling_layer": pooler}
    model = getattr(transformers, cls)(config, **kwargs)
    randomize_(model, seed)
    model.eval()
    if cls == "BertForMaskedLM" or cls == "BertForPreTraining":
        p = model.cls.predictions
        tied = p.decoder.weight is model.bert.embeddings.word_embeddings.weight and p.decoder.bias is p.bias
        assert tied == config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def copy_folder_files(src: Path, dst: Path) -> None:
    for f in FOLDER_FILES:
        shutil.copyfile(src / f, dst / f)


def write_formats(name: str) -> None:
    import torch
    from collections import OrderedDict
    from safetensors.torch import load_file
    from generate import TINY_BERT_TOKENIZER, write_slow_tokenizer_files
    from generate_formats import save_h5

    model = build_model(name)
    root = FIXTURES / name
    st = fresh(root / "safetensors")
    model.save_pretrained(st)
    shutil.copyfile(VOCAB, st / "vocab.txt")
    write_slow_tokenizer_files(st, st / "vocab.txt", TINY_BERT_TOKENIZER)
    state = load_file(str(st / "model.safetensors"))

    sharded = fresh(root / "sharded")
    model.save_pretrained(sharded, max_shard_size=SHARD_SIZE)
    copy_folder_files(st, sharded)
    shards = sorted(sharded.glob("model-*-of-*.safetensors"))
    assert len(shards) >= 2, shards
    back = {}
    for s in shards:
        back.update(load_file(str(s)))
    assert back.keys() == state.keys() and all(torch.equal(back[k], state[k]) for k in state)

    b = fresh(root / "bin")
    torch.save(OrderedDict((k, v) for k, v in model.state_dict().items()), str(b / "pytorch_model.bin"))
    copy_folder_files(st, b)
    sd = model.state_dict()
    if model.config.tie_word_embeddings and "cls.predictions.decoder.weight" in sd:
        word = sd["bert.embeddings.word_embeddings.weight"]
        assert sd["cls.predictions.decoder.weight"].untyped_storage().data_ptr() == word.untyped_storage().data_ptr()

    for fmt, nested in (("h5-flat", False), ("h5-nested", True)):
        d = fresh(root / fmt)
        save_h5(state, d / "model.h5", nested=nested)
        copy_folder_files(st, d)


def write_sentence_transformers() -> None:
    """bert-pooler under sentence-transformers' mean Pooling + Normalize, saved by
    sentence-transformers itself (modules.json in its own spelling), and its record.py golden."""
    from sentence_transformers import SentenceTransformer, models

    t = models.Transformer(str(FIXTURES / "bert-pooler" / "safetensors"))
    st = SentenceTransformer(modules=[t, models.Pooling(t.get_embedding_dimension(), "mean"), models.Normalize()],
                             device="cpu")
    d = fresh(FIXTURES / ST_NAME)
    st.save(str(d))
    (d / "README.md").unlink()  # the generated model card: nothing bertkit reads
    import torch
    from safetensors.torch import load_file
    saved, source = load_file(str(d / "model.safetensors")), load_file(str(FIXTURES / "bert-pooler" / "safetensors" / "model.safetensors"))
    assert saved.keys() == source.keys() and all(torch.equal(saved[k], source[k]) for k in source)
    write_golden(ST_NAME, d)


def write_golden(name: str, folder: Path = None) -> None:
    import record
    from golden_io import save_safetensors

    folder = folder or FIXTURES / name / "safetensors"
    examples = TEXTS.get(name, SINGLES)
    tensors = record.record(folder, examples)
    source = str(folder.relative_to(HERE.parent))
    save_safetensors(EXPECTED / f"{name}.acts.safetensors", tensors, record.metadata(examples, source, record.architecture(folder)))


# ---------------------------------------------------------------------------------------------
# Keras (runs inside golden/.venv-tf, transformers 4.57.6)
# ---------------------------------------------------------------------------------------------

def keras_part() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import transformers
    from safetensors.numpy import load_file
    from transformers import BertConfig
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    for name, (cls, _, pooler, _) in HEADS.items():
        if name in NO_KERAS:
            continue
        st = FIXTURES / name / "safetensors"
        d = fresh(FIXTURES / name / "keras")
        copy_folder_files(st, d)
        kwargs = {} if cls != "BertModel" else {"add_pooling_layer": pooler}
        model = getattr(transformers, "TF" + cls)(BertConfig.from_pretrained(st), **kwargs)
        model.build_in_name_scope()
        # transformers' own PyTorch -> TF loader: renames, transposes Linear weights into kernels.
        # (from_pretrained(from_pt=True) on a safetensors folder fails with safetensors 0.6.)
        state = load_file(str(st / "model.safetensors"))
        _, info = load_pytorch_state_dict_in_tf2_model(model, state, tf_inputs=False, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], (name, info)
        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            shutil.copyfile(Path(tmp) / "tf_model.h5", d / "tf_model.h5")
        print(f"wrote {d / 'tf_model.h5'} with transformers {transformers.__version__}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-keras", action="store_true")
    ap.add_argument("--keras-only", action="store_true", help="(used inside golden/.venv-tf)")
    args = ap.parse_args()
    if args.keras_only:
        keras_part()
        return
    from generate import setup_torch

    setup_torch()
    for name in HEADS:
        write_formats(name)
        write_golden(name)
        print(f"wrote {FIXTURES / name} and {EXPECTED / name}.acts.safetensors", file=sys.stderr)
    write_sentence_transformers()
    if not args.skip_keras:
        if not TF_PYTHON.exists():
            sys.exit(f"{TF_PYTHON} is missing: make it with\n  python3 -m venv golden/.venv-tf && "
                     "golden/.venv-tf/bin/pip install -r golden/requirements-tf.txt\n(or pass --skip-keras)")
        subprocess.run([str(TF_PYTHON), __file__, "--keras-only"], check=True)


if __name__ == "__main__":
    main()
