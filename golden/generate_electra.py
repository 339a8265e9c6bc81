#!/usr/bin/env python3
"""Tiny random ELECTRA checkpoints of every head bertkit runs, in every weights format, with a real
WordPiece tokenizer, and their activation goldens.

    golden/.venv/bin/python golden/generate_electra.py                # everything (the Keras part runs
                                                                      # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_electra.py --skip-keras

One model per transformers class (HEADS below: ElectraModel with embedding_size != hidden_size and
with them equal, ElectraForMaskedLM tied and untied, ElectraForSequenceClassification single-label,
multi-label and regression, token classification, QA, multiple choice). Most have embedding_size 12
or 16 under hidden_size 20 or 24, so `electra.embeddings_project` is exercised; `model-equal`,
`regression` and `question-answering` have embedding_size = hidden_size (no projection tensor).
Odd settings as generate_roberta.py's (3 or 5 heads, intermediate 37, layer_norm_eps 1e-7,
max_position_embeddings 64, type_vocab_size 2); hidden_act gelu_new / relu / silu so a head that
followed hidden_act instead of its fixed exact gelu (ElectraClassificationHead,
ElectraGeneratorPredictions, SequenceSummary's summary_activation) would be caught. Weights are
generate.py's `randomize_`. ElectraForPreTraining (the discriminator) has no fixture: bertkit refuses it.

Tokenizer: ElectraTokenizer (WordPiece, BERT's) over golden/fixtures/tiny-vocab.txt, saved by
save_pretrained (tokenizer.json, tokenizer_config.json) plus vocab.txt; model_max_length 64.

golden/fixtures/families/electra-<head>/ holds one transformers folder per format:
  safetensors/  save_pretrained (the tied generator_lm_head.weight is not stored)
  bin/          torch.save(model.state_dict()) (the tied decoder shares the word embeddings' storage)
  h5/           h5py, one dataset per safetensors key (generate_formats.py's writer)
  keras/        TFElectra<Head>.save_pretrained (transformers 4.57.6 in golden/.venv-tf) through
                transformers' PyTorch -> TF loader; not for masked-lm-untied (TFElectraForMaskedLM
                always decodes with the word embeddings)
golden/expected/families/electra-<head>.acts.safetensors: golden/record.py on the safetensors folder.
golden/fixtures/families/electra-sentence-transformers/: electra-model under mean Pooling + Normalize, saved
by sentence-transformers, with its record.py golden (`sentence_embedding`).

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

from generate_roberta import EXPECTED, FIXTURES, TF_PYTHON, copy_folder_files, fresh, labels, write_sentence_transformers, TOPICS, TAGS

HERE = Path(__file__).resolve().parent
VOCAB = HERE / "fixtures" / "tiny-vocab.txt"
FAMILY = "electra"

COMMON = dict(intermediate_size=37, max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-7,
              initializer_range=0.2, pad_token_id=0)
WIDE = dict(hidden_size=24, num_attention_heads=3, embedding_size=16)
NARROW = dict(hidden_size=20, num_attention_heads=5, embedding_size=12)
EQUAL = dict(hidden_size=20, num_attention_heads=5, embedding_size=20)
# head name: (class suffix, config settings, weight seed)
HEADS = {
    "model": ("Model", dict(WIDE, num_hidden_layers=2, hidden_act="gelu"), 301),
    "model-equal": ("Model", dict(EQUAL, num_hidden_layers=1, hidden_act="relu"), 302),
    "masked-lm": ("ForMaskedLM", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), 303),
    "masked-lm-untied": ("ForMaskedLM", dict(NARROW, num_hidden_layers=1, hidden_act="gelu_new", tie_word_embeddings=False), 304),
    "sequence-classification": ("ForSequenceClassification", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new", **labels(TOPICS)), 305),
    "multi-label": ("ForSequenceClassification", dict(NARROW, num_hidden_layers=1, hidden_act="silu",
                                                      problem_type="multi_label_classification", **labels(TOPICS[:3])), 306),
    "regression": ("ForSequenceClassification", dict(EQUAL, num_hidden_layers=1, hidden_act="relu", problem_type="regression",
                                                     num_labels=1), 307),
    "token-classification": ("ForTokenClassification", dict(NARROW, num_hidden_layers=1, hidden_act="relu", **labels(TAGS)), 308),
    "question-answering": ("ForQuestionAnswering", dict(EQUAL, num_hidden_layers=1, hidden_act="gelu"), 309),
    "multiple-choice": ("ForMultipleChoice", dict(NARROW, num_hidden_layers=2, hidden_act="relu"), 310),
}
NO_KERAS = {"masked-lm-untied": "TFElectraForMaskedLM always decodes with the word embeddings"}

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
    return [f"{FAMILY}-{h}" for h in HEADS]


def head_of(name: str) -> str:
    return name[len(FAMILY) + 1:]


def vocab_size() -> int:
    return len(VOCAB.read_text("utf-8").splitlines())


def head_config(name: str):
    import transformers

    suffix, settings, _ = HEADS[head_of(name)]
    config = transformers.ElectraConfig(vocab_size=vocab_size(), **COMMON, **settings)
    config.architectures = ["Electra" + suffix]
    return config


def build_model(name: str):
    import torch
    import transformers
    from generate import randomize_

    suffix, _, seed = HEADS[head_of(name)]
    config = head_config(name)
    model = getattr(transformers, "Electra" + suffix)(config)
    randomize_(model, seed)
    model.eval()
    projected = getattr(model.base_model, "embeddings_project", None) is not None
    assert projected == (config.embedding_size != config.hidden_size), name
    if suffix == "ForMaskedLM":
        tied = model.generator_lm_head.weight is model.electra.embeddings.word_embeddings.weight
        assert tied == config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def write_tokenizer(folder: Path) -> None:
    """ElectraTokenizer (WordPiece) as save_pretrained writes it, plus vocab.txt."""
    import transformers

    vocab = VOCAB.read_text("utf-8").splitlines()
    # transformers 5's tokenizers-backed class takes the vocabulary as a dict (a vocab_file is ignored).
    tokenizer = transformers.ElectraTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, model_max_length=64)
    assert tokenizer.convert_tokens_to_ids(vocab) == list(range(len(vocab))), "tokenizer.json ids are vocab.txt's"
    assert "[UNK]" not in tokenizer.tokenize("The cat sat on the mat."), "real words, not unknowns"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        tokenizer.save_pretrained(str(out))
        config = json.loads((out / "tokenizer_config.json").read_text("utf-8"))
        for k in ("is_local", "local_files_only"):  # where this run loaded from, not the tokenizer
            config.pop(k, None)
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
        shutil.copyfile(out / "tokenizer.json", folder / "tokenizer.json")
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
    state = load_file(str(st / "model.safetensors"))
    b = fresh(root / "bin")
    torch.save(OrderedDict((k, v) for k, v in model.state_dict().items()), str(b / "pytorch_model.bin"))
    copy_folder_files(st, b)
    h = fresh(root / "h5")
    save_h5(state, h / "model.h5")
    copy_folder_files(st, h)


def write_golden(name: str) -> None:
    import record
    from golden_io import save_safetensors

    folder = FIXTURES / name / "safetensors"
    examples = TEXTS.get(head_of(name), SINGLES)
    tensors = record.record(folder, examples)
    source = str(folder.relative_to(HERE.parent))
    save_safetensors(EXPECTED / f"{name}.acts.safetensors", tensors, record.metadata(examples, source, record.architecture(folder)))


def keras_part() -> None:
    """Inside golden/.venv-tf (transformers 4.57.6): TFElectra<Head> from the safetensors weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import transformers
    from safetensors.numpy import load_file
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    for name in names():
        if head_of(name) in NO_KERAS:
            continue
        suffix = HEADS[head_of(name)][0]
        st = FIXTURES / name / "safetensors"
        d = fresh(FIXTURES / name / "keras")
        copy_folder_files(st, d)
        model = getattr(transformers, "TFElectra" + suffix)(transformers.ElectraConfig.from_pretrained(st))
        model.build_in_name_scope()
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
    for name in names():
        write_formats(name)
        write_golden(name)
        print(f"wrote {FIXTURES / name} and {EXPECTED / name}.acts.safetensors", file=sys.stderr)
    write_sentence_transformers("electra-model", "electra-sentence-transformers")
    if not args.skip_keras:
        if not TF_PYTHON.exists():
            sys.exit(f"{TF_PYTHON} is missing (golden/requirements-tf.txt), or pass --skip-keras")
        subprocess.run([str(TF_PYTHON), __file__, "--keras-only"], check=True)


if __name__ == "__main__":
    main()
