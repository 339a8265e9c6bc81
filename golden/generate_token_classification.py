"""token-classification goldens: transformers' token-classification pipeline on two random heads.

Saves:
- `fixtures/minilm-heads/token-classification`: BertForTokenClassification on MiniLM (golden/head_models.py),
  CoNLL labels, classifier initialised by transformers under seed TOKCLS_SEED;
- `fixtures/tiny-tokcls/`: a tiny random BertForTokenClassification folder (golden/generate.py's tiny vocab
  and tokenizer files, every parameter from `randomize_`), for the fast CLI tests.

Writes `expected/pipelines/token-classification.json`:
- `cases`: for each (model, aggregation_strategy, ignore_labels when not the default) the inputs and,
  per input, exactly what `pipeline("token-classification", model, tokenizer)(text, aggregation_strategy=...)`
  returns for that text alone (a list of dicts; numpy floats as Python floats);
- `tokens`: per model and input, the pipeline tokenizer's tokens, offsets and the pipeline's `is_subword`;
- `decode`: `convert_tokens_to_string` (the WordPiece decoder the pipeline builds `word` with) on
  hand-made token lists.

Asserted here: the Rust tokenizer the pipeline uses gives the Python tokenizer's ids (bertkit's) for
every input; no near-ties (every argmax the outputs depend on wins by at least MIN_PROB_GAP); the
strategies disagree somewhere (so a test cannot pass with one strategy's code for another); the long
texts are longer than the model's positions.

    golden/.venv/bin/python golden/generate_token_classification.py
"""
import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
from pathlib import Path

import numpy as np
import tokenizers
import torch
import transformers
from transformers import BertForTokenClassification, pipeline
from transformers.pipelines.token_classification import AggregationStrategy
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

import generate as G
from golden_io import write_text
from head_models import HEAD_FIXTURES, minilm_with_head, save_head

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected" / "pipelines" / "token-classification.json"
TINY = G.FIXTURES / "tiny-tokcls"
LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
LABEL_CONFIG = dict(num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                    label2id={l: i for i, l in enumerate(LABELS)})
TOKCLS_SEED = 1
TINY_SEED = 31
TINY_CONFIG = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
    max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
    initializer_range=0.2, pad_token_id=0, **LABEL_CONFIG)
# bertkit's MiniLM hidden states agree with PyTorch's to ~1e-5; through this classifier (weights
# ~0.02) the probabilities (~0.13) then agree to ~1e-6. A 20x margin keeps every argmax stable.
MIN_PROB_GAP = 2e-5
STRATEGIES = ["none", "simple", "first", "average", "max"]

MINILM_TEXTS = [
    "Hugging Face Inc. is a company based in New York City. Its headquarters are in DUMBO, "
    "therefore very close to the Manhattan Bridge.",
    "My name is Wolfgang and I live in Berlin.",
    # Sub-word entities.
    "Arnold Schwarzenegger met Tschaikowsky's great-grandson in Reykjavík.",
    "PyTorch is a great framework for NLP",
    # Precomposed accents, and decomposed ones (NFD): the offsets skip a combining mark at a token's
    # end, so `munchen` (7 letters over 8 code points) counts as a sub-word of the word before.
    "Crème brûlée at the café in Zürich, said François Hollande.",
    "Cre\u0300me bru\u0302le\u0301e in Mu\u0308nchen with Ame\u0301lie.",
    # CJK ideographs are single tokens; kana and Hangul (decomposed to jamo) are word pieces.
    "北京大学的李明去了东京。",
    "東京タワーは日本にあります。서울에서 만나요.",
    # [UNK] (the word is the text), literal special tokens (not skipped: only the added ones are), a
    # zero-width space inside a word (the first piece is then a "sub-word").
    "Paris [SEP] London 😀 and [MASK] at ACME™ Corp, ab\u200bcd Ǆemal!",
    # Punctuation the decoder cleans up.
    "Mr. O'Neil's dog, Rex, barked! Why? Dr. J.R.R. Tolkien paid €5,000.",
    "İstanbul and the ﬁnal Straße in Москва.",
    "",
    " \t ",
]
# More than MiniLM's 512 positions: the pipeline truncates to model_max_length (512) like bertkit.
MINILM_LONG = " ".join(["Ada Lovelace wrote notes for Charles Babbage in London."] * 60)

TINY_TEXTS = [
    "the quick brown fox jumps over the lazy dog.",
    "hello world, the cat sat on the mat!",
    "Stock market prices rose today; the bank's news was good.",
    "café naïve 中国 😀 [SEP] played jumping",
    "",
]
# More than tiny-tokcls's 64 positions.
TINY_LONG = "the team will win the game today and the people of the city will play " * 6

DECODE = [
    ["hello", "world"],
    ["##ing", "hello", "##s"],
    ["a", ".", "b", ",", "c", "!", "d", "?", "e"],
    ["o", "'", "neil", "'", "s"],
    ["don", "'", "t", "n't", "'m", "'s", "'ve", "'re"],
    ["i", "do not", " ' ", "."],
    ["..", ",,", "##.", "#", "##"],
    ["[UNK]", "[SEP]", "北", "京"],
    ["cafe", "##\u0301", "\u00e9"],
    [],
]


def plain(outputs: list) -> list:
    """The pipeline's dicts with numpy scalars as Python numbers."""
    out = []
    for e in outputs:
        d = {}
        for k, v in e.items():
            if isinstance(v, (np.floating,)):
                d[k] = float(v)
            elif isinstance(v, (np.integer,)):
                d[k] = int(v)
            else:
                d[k] = v
        out.append(d)
    return out


def token_table(pipe, text: str) -> dict:
    """What the pipeline sees for `text` (its preprocess and softmax): tokens, offsets, specials,
    is_subword and the per-token scores."""
    enc = next(iter(pipe.preprocess(text, is_split_into_words=False)))
    with torch.no_grad():
        logits = pipe.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                            token_type_ids=enc["token_type_ids"]).logits[0].numpy()
    e = np.exp(logits - logits.max(-1, keepdims=True))
    scores = e / e.sum(-1, keepdims=True)
    ids = enc["input_ids"][0].tolist()
    special = enc["special_tokens_mask"][0].tolist()
    pre = pipe.gather_pre_entities(text, enc["input_ids"][0], scores, enc["offset_mapping"][0],
                                   np.array(special), AggregationStrategy.FIRST)
    return {"ids": ids, "tokens": pipe.tokenizer.convert_ids_to_tokens(ids),
            "offsets": [[int(x) for x in o] for o in enc["offset_mapping"][0].tolist()], "special": special,
            "is_subword": [bool(p["is_subword"]) for p in pre], "pre": pre}


def check_no_near_ties(table: dict, where: str) -> float:
    """Every argmax an output depends on: per token, per word's mean (average), per word's best token (max)."""
    smallest = 1.0

    def gap(v, what):
        nonlocal smallest
        s = np.sort(v)[::-1]
        assert s[0] - s[1] >= MIN_PROB_GAP, f"{where}: near-tie {s[0]} vs {s[1]} ({what})"
        smallest = min(smallest, float(s[0] - s[1]))

    pre = table["pre"]
    for p in pre:
        gap(p["scores"], f"token {p['index']} {p['word']!r}")
    words, group = [], []
    for p in pre:
        if group and not p["is_subword"]:
            words.append(group)
            group = []
        group.append(p)
    if group:
        words.append(group)
    for w in words:
        name = "".join(p["word"] for p in w)
        gap(np.nanmean(np.stack([p["scores"] for p in w]), axis=0), f"average of {name!r}")
        if len(w) > 1:
            gap(np.array([p["scores"].max() for p in w]), f"max of {name!r}")
    return smallest


def build_tiny() -> None:
    vocab = G.tiny_vocab()
    vocab_path = G.FIXTURES / "tiny-vocab.txt"
    assert vocab_path.read_text("utf-8").splitlines() == vocab
    config = transformers.BertConfig(vocab_size=len(vocab), **TINY_CONFIG)
    model = BertForTokenClassification(config)
    G.randomize_(model, TINY_SEED)
    model.eval()
    with G.scratch_dir("tiny-tokcls") as tmp:
        model.save_pretrained(tmp)
        G.write_vocab_txt(tmp / "vocab.txt", vocab)
        G.write_slow_tokenizer_files(tmp, tmp / "vocab.txt", G.TINY_BERT_TOKENIZER)
        G.replace_dir(tmp, TINY)


def run_cases(name: str, model, tokenizer, texts: list, long_text: str, positions: int) -> tuple:
    pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, device="cpu")
    assert tokenizer.is_fast and tokenizer.model_max_length == positions
    slow = BertTokenizerLegacy.from_pretrained(str(tokenizer.name_or_path))
    cases, tables, smallest = [], [], 1.0
    for text in texts + [long_text]:
        assert slow.encode(text) == tokenizer.encode(text), f"{name}: Python and Rust tokenizers differ on {text!r}"
        table = token_table(pipe, text)
        smallest = min(smallest, check_no_near_ties(table, f"{name} {text[:30]!r}"))
        if text != long_text:
            tables.append({k: table[k] for k in ("ids", "tokens", "offsets", "special", "is_subword")} | {"text": text})
    assert len(tokenizer.encode(long_text)) > positions
    outputs = {}
    for strategy in STRATEGIES:
        outputs[strategy] = [plain(pipe(t, aggregation_strategy=strategy)) for t in texts]
        cases.append({"model": name, "aggregation": strategy, "inputs": texts, "outputs": outputs[strategy]})
    cases.append({"model": name, "aggregation": "simple", "inputs": [long_text],
                  "outputs": [plain(pipe(long_text, aggregation_strategy="simple"))]})
    # ignore_labels: nothing (O kept), or a group's label.
    for strategy, ignore in (("none", []), ("simple", ["O", "PER"])):
        cases.append({"model": name, "aggregation": strategy, "ignore_labels": ignore, "inputs": texts,
                      "outputs": [plain(pipe(t, aggregation_strategy=strategy, ignore_labels=ignore)) for t in texts]})
        assert cases[-1]["outputs"] != outputs[strategy]
    # The default is "none": one dict per token.
    assert [plain(pipe(t)) for t in texts] == outputs["none"]
    for a in STRATEGIES[1:]:
        for b in STRATEGIES[1:]:
            assert a == b or outputs[a] != outputs[b], f"{name}: {a} and {b} give the same outputs"
    return cases, tables, smallest


def main() -> None:
    torch.set_num_threads(1)
    model, tokenizer = minilm_with_head("BertForTokenClassification", seed=TOKCLS_SEED, **LABEL_CONFIG)
    assert model.config.id2label == dict(enumerate(LABELS))
    save_head(model, HEAD_FIXTURES / "token-classification")
    minilm_cases, minilm_tables, minilm_gap = run_cases("minilm-heads/token-classification", model, tokenizer,
                                                        MINILM_TEXTS, MINILM_LONG, 512)

    build_tiny()
    tiny = BertForTokenClassification.from_pretrained(str(TINY), attn_implementation="eager").eval()
    tiny_tok = transformers.AutoTokenizer.from_pretrained(str(TINY))
    tiny_cases, tiny_tables, tiny_gap = run_cases("tiny-tokcls", tiny, tiny_tok, TINY_TEXTS, TINY_LONG, 64)

    doc = {
        "producer": "golden/generate_token_classification.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__},
        "labels": LABELS,
        "min_prob_gap": MIN_PROB_GAP,
        "cases": minilm_cases + tiny_cases,
        "tokens": {"minilm-heads/token-classification": minilm_tables, "tiny-tokcls": tiny_tables},
        "decode": [{"tokens": t, "string": tokenizer.convert_tokens_to_string(t)} for t in DECODE],
    }
    write_text(OUT, G.json_pretty(doc))
    print(f"{OUT.name}: {len(doc['cases'])} cases; smallest argmax gap MiniLM {minilm_gap:.2e}, tiny {tiny_gap:.2e}")


if __name__ == "__main__":
    main()
