#!/usr/bin/env python3
"""Tiny random ALBERT checkpoints of every head bertkit runs, in every weights format, with a real
SentencePiece Unigram tokenizer, and their activation goldens.

    golden/.venv/bin/python golden/generate_albert.py                # everything (the Keras part runs
                                                                     # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_albert.py --skip-keras

One model per transformers class (HEADS below: AlbertModel with inner_group_num 1 and 2 and with
embedding_size = hidden_size, AlbertForPreTraining, AlbertForMaskedLM tied and untied,
AlbertForSequenceClassification, token classification, QA, multiple choice). The shared layers are
exercised: most have num_hidden_layers 4 over num_hidden_groups 2 (layers 0-1 run group 0, 2-3 group
1), `model-inner2` has 2 layers per group (4 x 2 layer applications over 2 x 2 stored layers), and
embedding_size 12 or 16 under hidden_size 20 or 24 (`encoder.embedding_hidden_mapping_in` E -> H;
`model-equal` and `question-answering` have E = H, where the mapping still exists). Odd settings as
generate_roberta.py's (3 or 5 heads, intermediate 37, layer_norm_eps 1e-7, max_position_embeddings
64); hidden_act gelu_new (ALBERT's default) / gelu / relu; dropouts 0.1 in the config (the goldens run
in eval). Weights are generate.py's `randomize_`; initializer_range 0.2, but 0.4 for the two heads
generate_training_families.py trains: at 0.2 (or less) the second group's query/key gradients were
4-100% under 100 eps (1e-6) in every seed tried, too many for TrainingHeadGoldenTests to compare after Adam.

Tokenizer: the SentencePiece Unigram model golden/fixtures/tokenizers/albert-unigram (trained by
generate_tokenizer_pipelines.py: <pad>=0, <unk>=1, [CLS]=2, [SEP]=3, [MASK]=4, byte_fallback) as
AlbertTokenizer (transformers 5.23) loads its tokenizer.json and save_pretrained writes it, plus its
spiece.model; model_max_length 64.

golden/fixtures/families/albert-<head>/ holds one transformers folder per format:
  safetensors/  save_pretrained (the tied predictions.decoder is not stored)
  bin/          torch.save(model.state_dict()) (the tied decoder shares the word embeddings' storage)
  h5/           h5py, one dataset per safetensors key (generate_formats.py's writer)
  keras/        TFAlbert<Head>.save_pretrained (transformers 4.57.6 in golden/.venv-tf) through
                transformers' PyTorch -> TF loader; not for masked-lm-untied (TFAlbertForMaskedLM
                always decodes with the word embeddings)
golden/expected/families/albert-<head>.acts.safetensors: golden/record.py on the safetensors folder
(each application of a shared layer is recorded under its applied index, `albert.encoder.layer.{a}.*`).
golden/fixtures/families/albert-sentence-transformers/: albert-model under mean Pooling + Normalize,
saved by sentence-transformers, with its record.py golden (`sentence_embedding`).
golden/expected/tokenizer-pipelines/albert-fixture{,-pairs}.jsonl: the fixtures' tokenizer.json on the
conformance corpus (`tokenizers`' ids, tokens, offsets, decoded text), as generate_tokenizer_pipelines.py.

Deterministic (fixed seeds, one torch thread, sorted writers); offline. Reruns give the same files.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
import shutil
from pathlib import Path

import generate_roberta
from generate_roberta import (FIXTURES, SINGLES, TEXTS as ROBERTA_TEXTS, TOKENIZERS, generate_main, labels, load_tokenizer,
                              save_formats, save_tokenizer, write_keras, write_sentence_transformers, TOPICS, TAGS)

FAMILY = "albert"
TOKENIZER = TOKENIZERS / "albert-unigram"

COMMON = dict(intermediate_size=37, max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-7,
              initializer_range=0.2, pad_token_id=0, bos_token_id=2, eos_token_id=3, hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1, classifier_dropout_prob=0.1)
WIDE = dict(hidden_size=24, num_attention_heads=3, embedding_size=16)
NARROW = dict(hidden_size=20, num_attention_heads=5, embedding_size=12)
EQUAL = dict(hidden_size=20, num_attention_heads=5, embedding_size=20)
SHARED = dict(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=1)
# head name: (class suffix, config settings, weight seed)
HEADS = {
    "model": ("Model", dict(WIDE, **SHARED, hidden_act="gelu_new"), 401),
    "model-inner2": ("Model", dict(NARROW, num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2, hidden_act="gelu"), 402),
    "model-equal": ("Model", dict(EQUAL, num_hidden_layers=2, num_hidden_groups=1, hidden_act="relu"), 403),
    "pre-training": ("ForPreTraining", dict(NARROW, **SHARED, hidden_act="gelu_new"), 404),
    "masked-lm": ("ForMaskedLM", dict(NARROW, **SHARED, hidden_act="gelu_new", initializer_range=0.4), 405),
    "masked-lm-untied": ("ForMaskedLM", dict(NARROW, num_hidden_layers=2, num_hidden_groups=1, hidden_act="gelu",
                                             tie_word_embeddings=False), 406),
    "sequence-classification": ("ForSequenceClassification", dict(WIDE, **SHARED, hidden_act="gelu_new", initializer_range=0.4,
                                                                  **labels(TOPICS)), 407),
    "token-classification": ("ForTokenClassification", dict(NARROW, **SHARED, hidden_act="relu", **labels(TAGS)), 408),
    "question-answering": ("ForQuestionAnswering", dict(EQUAL, **SHARED, hidden_act="gelu"), 409),
    "multiple-choice": ("ForMultipleChoice", dict(NARROW, **SHARED, hidden_act="gelu_new"), 410),
}
NO_KERAS = {"masked-lm-untied": "TFAlbertForMaskedLM always decodes with the word embeddings"}

# generate_roberta.py's texts, with ALBERT's mask token; pre-training as masked-lm.
TEXTS = {head: [[t.replace("<mask>", "[MASK]") if isinstance(t, str) else t for t in example] for example in examples]
         for head, examples in ROBERTA_TEXTS.items()}
TEXTS["pre-training"] = TEXTS["masked-lm"]


def names():
    return [f"{FAMILY}-{h}" for h in HEADS]


def head_of(name: str) -> str:
    return name[len(FAMILY) + 1:]


def vocab_size() -> int:
    return len(json.loads((TOKENIZER / "tokenizer.json").read_text("utf-8"))["model"]["vocab"])


def head_config(name: str):
    import transformers

    suffix, settings, _ = HEADS[head_of(name)]
    config = transformers.AlbertConfig(vocab_size=vocab_size(), **dict(COMMON, **settings))
    config.architectures = ["Albert" + suffix]
    return config


def build_model(name: str):
    import torch
    import transformers
    from generate import randomize_

    suffix, _, seed = HEADS[head_of(name)]
    config = head_config(name)
    model = getattr(transformers, "Albert" + suffix)(config)
    randomize_(model, seed)
    model.eval()
    if suffix in ("ForMaskedLM", "ForPreTraining"):
        tied = model.predictions.decoder.weight is model.albert.embeddings.word_embeddings.weight
        assert tied == config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def write_tokenizer(folder: Path) -> None:
    """AlbertTokenizer over albert-unigram's tokenizer.json as save_pretrained writes it, plus spiece.model."""
    tokenizer = load_tokenizer(TOKENIZER / "tokenizer.json", "albert", "AlbertTokenizer")
    ids = tokenizer.convert_tokens_to_ids(["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"])
    assert ids == [0, 1, 2, 3, 4] and tokenizer.mask_token == "[MASK]" and tokenizer.pad_token_id == 0, ids
    assert tokenizer.unk_token_id not in tokenizer("The cat sat on the mat.")["input_ids"], "real words, not unknowns"
    save_tokenizer(tokenizer, folder)
    shutil.copyfile(TOKENIZER / "spiece.model", folder / "spiece.model")


def write_formats(name: str) -> None:
    save_formats(name, build_model(name), write_tokenizer, every_format=True)


def write_tokenizer_conformance() -> None:
    """The fixtures' tokenizer.json (AlbertTokenizer 5.23 rewrites albert-unigram's: WhitespaceSplit before
    Metaspace, no byte_fallback, `<unk>` added) on the conformance corpus, as generate_tokenizer_pipelines.py
    records the others: expected/tokenizer-pipelines/albert-fixture{,-pairs}.jsonl."""
    from tokenizers import Tokenizer
    import generate_tokenizer_pipelines as tp

    texts = tp.corpus_texts() + tp.EXTRA
    tp.record(Tokenizer.from_file(str(FIXTURES / "albert-model" / "safetensors" / "tokenizer.json")), texts, tp.EXP / "albert-fixture")


def write_golden(name: str) -> None:
    generate_roberta.write_golden(name, FIXTURES / name / "safetensors", TEXTS.get(head_of(name), SINGLES))


def keras_part() -> None:
    """Inside golden/.venv-tf (transformers 4.57.6): TFAlbert<Head> from the safetensors weights."""
    for name in names():
        if head_of(name) not in NO_KERAS:
            # The tied decoder's bias is `predictions.bias` (save_pretrained stores it once); TF keeps both.
            write_keras(name, "TFAlbert" + HEADS[head_of(name)][0], "AlbertConfig", tied={"predictions.decoder.bias": "predictions.bias"})


def main() -> None:
    def after() -> None:
        write_sentence_transformers("albert-model", "albert-sentence-transformers")
        write_tokenizer_conformance()

    generate_main(__doc__, __file__, names, write_formats, write_golden, keras_part, after)


if __name__ == "__main__":
    main()
