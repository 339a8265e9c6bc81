#!/usr/bin/env python3
"""Tiny random MPNet checkpoints of every head, in every weights format, with a real MPNet
tokenizer, and their activation goldens.

    golden/.venv/bin/python golden/generate_mpnet.py                # everything (the Keras part runs
                                                                    # in golden/.venv-tf)
    golden/.venv/bin/python golden/generate_mpnet.py --skip-keras

One model per transformers class (HEADS below; MPNetModel with and without its pooler, MPNetForMaskedLM
tied and untied, MPNetForSequenceClassification single-label and regression), the settings of
generate_roberta.py (hidden 24 / 3 heads or 20 / 5, intermediate 37, layer_norm_eps 1e-7,
max_position_embeddings 66, gelu_new / relu / silu / gelu) and MPNet's own: no type_vocab_size,
relative_attention_num_buckets 32. `mpnet-pooler` has max_position_embeddings 258 and one 170-token text as
its example (one row keeps its golden small), so relative distances past 128 (the last, shared
bucket) are exercised. The
relative-bias table is generate.py's `randomize_` times 5, so a bias added in the wrong place or read
from the wrong bucket moves the probabilities far past verify's tolerance.

Tokenizer: golden/fixtures/tokenizers/mpnet-wordpiece/, a WordPiece trained here (tokenizers'
WordPieceTrainer, 600 pieces) on golden/corpus/texts.jsonl and laid out as all-mpnet-base-v2's
tokenizer.json is: BertNormalizer (lowercase), BertPreTokenizer, RobertaProcessing (`<s> A </s></s> B
</s>`), WordPiece decoder, specials <s> <pad> </s> <unk> at 0-3, [UNK] (the WordPiece unk, as
MPNetTokenizer has it) at 4 and <mask> (lstrip) last; plus the
vocab.txt MPNetTokenizer's slow files are. tokenizer_config.json is MPNetTokenizer's save_pretrained.

golden/fixtures/families/mpnet-<head>/ holds one transformers folder per format (as generate_roberta.py):
safetensors/, bin/, h5/, keras/ (TFMPNet<Head> from transformers 4.57.6, not for masked-lm-untied nor
no-pooler). golden/expected/families/mpnet-<head>.acts.safetensors: golden/record.py on the
safetensors folder. golden/expected/families/mpnet-buckets.json: relative_position_bucket of every
relative position in [-600, 600] (MPNetEncoder's f32 log and truncation).

Deterministic (fixed seeds, one torch thread, sorted writers); offline. Reruns give the same files.
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from generate_roberta import (COMMON as ROBERTA_COMMON, EXPECTED, FIXTURES, NARROW, SINGLES, TAGS, TEXTS as ROBERTA_TEXTS,
                              TOKENIZERS, TOPICS, WIDE, copy_folder_files, fresh, labels, run, save_keras)

TOKENIZER = TOKENIZERS / "mpnet-wordpiece"
COMMON = {k: v for k, v in ROBERTA_COMMON.items() if k != "type_vocab_size"}
COMMON["relative_attention_num_buckets"] = 32
BIAS_SCALE = 5.0

# head name: (class suffix, config settings, MPNetModel's add_pooling_layer, weight seed offset)
HEADS = {
    "pooler": ("Model", dict(WIDE, num_hidden_layers=2, hidden_act="gelu", max_position_embeddings=258), True, 1),
    "no-pooler": ("Model", dict(NARROW, num_hidden_layers=1, hidden_act="relu"), False, 2),
    "masked-lm": ("ForMaskedLM", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), True, 3),
    "masked-lm-untied": ("ForMaskedLM", dict(NARROW, num_hidden_layers=1, hidden_act="gelu_new", tie_word_embeddings=False), True, 4),
    "sequence-classification": ("ForSequenceClassification", dict(WIDE, num_hidden_layers=2, hidden_act="gelu_new", **labels(TOPICS)), True, 5),
    "regression": ("ForSequenceClassification", dict(NARROW, num_hidden_layers=1, hidden_act="silu", problem_type="regression",
                                                     num_labels=1), True, 7),
    "token-classification": ("ForTokenClassification", dict(NARROW, num_hidden_layers=1, hidden_act="relu", **labels(TAGS)), True, 8),
    "question-answering": ("ForQuestionAnswering", dict(WIDE, num_hidden_layers=1, hidden_act="gelu"), True, 9),
    "multiple-choice": ("ForMultipleChoice", dict(NARROW, num_hidden_layers=2, hidden_act="gelu_new"), True, 10),
}
NO_KERAS = {"masked-lm-untied": "TF's MLM head always decodes with the word embeddings",
            "no-pooler": "TFMPNetModel always builds its pooler"}
LONG = " ".join(["the quick brown fox jumps over the lazy dog near the bank of the river"] * 3)
TEXTS = dict(ROBERTA_TEXTS, pooler=[[LONG]])


def names():
    return [f"mpnet-{h}" for h in HEADS]


def head_of(name: str) -> str:
    return name.split("-", 1)[1]


def train_tokenizer() -> None:
    """The WordPiece fixture (see the module docstring)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from generate_tokenizer_pipelines import corpus_texts, save_tokenizer
    from golden_io import write_text

    # MPNetTokenizer's unk_token is [UNK] (all-mpnet-base-v2 has it at 104, beside <unk> at 3).
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordPieceTrainer(vocab_size=600, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "[UNK]"],
                                        show_progress=False, continuing_subword_prefix="##")
    tok.train_from_iterator(corpus_texts(), trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")),
                                                      trim_offsets=True, add_prefix_space=False)
    TOKENIZER.mkdir(parents=True, exist_ok=True)
    save_tokenizer(tok, TOKENIZER / "tokenizer.json")
    vocab = tok.get_vocab(with_added_tokens=True)
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    assert [i for _, i in ordered] == list(range(len(ordered))), "vocab.txt needs dense ids"
    write_text(TOKENIZER / "vocab.txt", "".join(t + "\n" for t, _ in ordered))


def check_tokenizer(folder: Path, vocab_size: int) -> None:
    """The saved tokenizer adds no token past the embedding rows (MPNetTokenizer adds its specials)."""
    data = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    ids = list(data["model"]["vocab"].values()) + [a["id"] for a in data["added_tokens"]]
    assert max(ids) < vocab_size, (folder, max(ids), vocab_size)


def head_config(name: str):
    import transformers

    suffix, settings, _, _ = HEADS[head_of(name)]
    vocab_size = len((TOKENIZER / "vocab.txt").read_text("utf-8").splitlines())
    config = transformers.MPNetConfig(vocab_size=vocab_size, **dict(COMMON, **settings))
    config.architectures = ["MPNet" + suffix]
    return config


def build_model(name: str):
    import torch
    import transformers
    from generate import randomize_

    suffix, _, pooler, offset = HEADS[head_of(name)]
    config = head_config(name)
    kwargs = {} if suffix != "Model" else {"add_pooling_layer": pooler}
    model = getattr(transformers, "MPNet" + suffix)(config, **kwargs)
    randomize_(model, 400 + offset)
    with torch.no_grad():
        model.base_model.encoder.relative_attention_bias.weight.mul_(BIAS_SCALE)
    model.eval()
    if suffix == "ForMaskedLM":
        tied = model.lm_head.decoder.weight is model.mpnet.embeddings.word_embeddings.weight
        assert tied == config.tie_word_embeddings, name
    assert torch.get_num_threads() == 1
    return model


def write_tokenizer(folder: Path) -> None:
    """MPNetTokenizer's save_pretrained of the fixture, plus vocab.txt."""
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        shutil.copyfile(TOKENIZER / "tokenizer.json", t / "tokenizer.json")
        (t / "config.json").write_text(json.dumps({"model_type": "mpnet"}), "utf-8")
        tokenizer = transformers.MPNetTokenizer.from_pretrained(str(t), model_max_length=64)
        out = t / "out"
        tokenizer.save_pretrained(str(out))
        config = json.loads((out / "tokenizer_config.json").read_text("utf-8"))
        for k in ("is_local", "local_files_only"):  # where this run loaded from, not the tokenizer
            config.pop(k, None)
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
        shutil.copyfile(out / "tokenizer.json", folder / "tokenizer.json")
    shutil.copyfile(TOKENIZER / "vocab.txt", folder / "vocab.txt")


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
    check_tokenizer(st, model.config.vocab_size)
    state = load_file(str(st / "model.safetensors"))
    b = fresh(root / "bin")
    torch.save(OrderedDict((k, v) for k, v in model.state_dict().items()), str(b / "pytorch_model.bin"))
    copy_folder_files(st, b)
    shutil.copyfile(st / "vocab.txt", b / "vocab.txt")
    h = fresh(root / "h5")
    save_h5(state, h / "model.h5")
    copy_folder_files(st, h)
    shutil.copyfile(st / "vocab.txt", h / "vocab.txt")


def write_golden(name: str) -> None:
    import record
    from golden_io import save_safetensors

    folder = FIXTURES / name / "safetensors"
    examples = TEXTS.get(head_of(name), SINGLES)
    tensors = record.record(folder, examples)
    source = str(folder.relative_to(Path(__file__).resolve().parent.parent))
    save_safetensors(EXPECTED / f"{name}.acts.safetensors", tensors, record.metadata(examples, source, record.architecture(folder)))


def write_buckets() -> None:
    import torch
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder
    from golden_io import write_text

    relative = torch.arange(-600, 601)
    buckets = MPNetEncoder.relative_position_bucket(relative, num_buckets=32, max_distance=128)
    write_text(EXPECTED / "mpnet-buckets.json",
               json.dumps({"relative": relative.tolist(), "bucket": buckets.tolist()}, separators=(",", ":")) + "\n")


# ---------------------------------------------------------------------------------------------
# Keras (runs inside golden/.venv-tf, transformers 4.57.6)
# ---------------------------------------------------------------------------------------------

def keras_part() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import transformers

    for name in names():
        head = head_of(name)
        if head in NO_KERAS:
            continue
        st = FIXTURES / name / "safetensors"
        d = fresh(FIXTURES / name / "keras")
        copy_folder_files(st, d)
        shutil.copyfile(st / "vocab.txt", d / "vocab.txt")
        save_keras(getattr(transformers, "TFMPNet" + HEADS[head][0]), transformers.MPNetConfig, st, d)


def generate_all() -> None:
    train_tokenizer()
    write_buckets()
    for name in names():
        write_formats(name)
        write_golden(name)
        print(f"wrote {FIXTURES / name} and {EXPECTED / name}.acts.safetensors", file=sys.stderr)


def main() -> None:
    run(__doc__, __file__, generate_all, keras_part)


if __name__ == "__main__":
    main()
