#!/usr/bin/env python3
"""Tiny random ELECTRA checkpoints of every head bertkit runs, in every weights format, with a real
WordPiece tokenizer, and their activation goldens.

    golden/.venv/bin/python golden/generate_electra.py                # everything (the Keras part runs
                                                                      # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_electra.py --skip-keras

One model per transformers class (HEADS below: ElectraModel with embedding_size != hidden_size and
with them equal, ElectraForMaskedLM tied and untied, ElectraForSequenceClassification single-label,
multi-label and regression, token classification, QA, multiple choice, ElectraForPreTraining (the
discriminator: `discriminator_predictions` dense → hidden_act (gelu_new here) → dense_prediction, one logit
per token)). Most have embedding_size 12
or 16 under hidden_size 20 or 24, so `electra.embeddings_project` is exercised; `model-equal`,
`regression` and `question-answering` have embedding_size = hidden_size (no projection tensor).
Odd settings as generate_roberta.py's (3 or 5 heads, intermediate 37, layer_norm_eps 1e-7,
max_position_embeddings 64, type_vocab_size 2); hidden_act gelu_new / relu / silu so a head that
followed hidden_act instead of its fixed exact gelu (ElectraClassificationHead,
ElectraGeneratorPredictions, SequenceSummary's summary_activation) would be caught. Weights are
generate.py's `randomize_`.

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

import shutil
from pathlib import Path

from generate_roberta import (EXPECTED, FIXTURES, SINGLES, TEXTS as ROBERTA_TEXTS, copy_folder_files, fresh, generate_main,
                              labels, save_formats, save_tokenizer, write_keras, write_sentence_transformers, TOPICS, TAGS)

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
    "pre-training": ("ForPreTraining", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new"), 311),
}
NO_KERAS = {"masked-lm-untied": "TFElectraForMaskedLM always decodes with the word embeddings"}

# generate_roberta.py's texts, with BERT's mask token.
TEXTS = {head: [[t.replace("<mask>", "[MASK]") if isinstance(t, str) else t for t in example] for example in examples]
         for head, examples in ROBERTA_TEXTS.items()}


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
    save_tokenizer(tokenizer, folder)
    shutil.copyfile(VOCAB, folder / "vocab.txt")


def write_formats(name: str) -> None:
    save_formats(name, build_model(name), write_tokenizer, every_format=True)


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
    for name in names():
        if head_of(name) not in NO_KERAS:
            write_keras(name, "TFElectra" + HEADS[head_of(name)][0], "ElectraConfig")


def main() -> None:
    generate_main(__doc__, __file__, names, write_formats, write_golden, keras_part,
                  lambda: write_sentence_transformers("electra-model", "electra-sentence-transformers"))


if __name__ == "__main__":
    main()
