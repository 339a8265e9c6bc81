"""Tiny tokenizer.json pipelines and what the `tokenizers` library makes of the corpus with them.

Trains, on golden/corpus/texts.jsonl (committed), with fixed settings:
  roberta-bpe/     byte-level BPE shaped like RoBERTa's: ByteLevel pre-tokenizer (no prefix space),
                   RobertaProcessing (trim_offsets), ByteLevel decoder, <mask> with lstrip;
                   tokenizer.json, plus vocab.json + merges.txt (the same model, the slow files)
  xlmr-unigram/    a SentencePiece Unigram (sentencepiece package) with a small custom normalization
                   table, converted by transformers' XLMRobertaConverter: Precompiled + Replace
                   normalizers, Metaspace, TemplateProcessing; tokenizer.json + sentencepiece.bpe.model
  albert-unigram/  the same kind of model with byte_fallback, converted by AlbertConverter
                   (lowercase, NFKD + StripAccents, Replace, Precompiled, Metaspace, [CLS]/[SEP]);
                   tokenizer.json + spiece.model
Then records, for every corpus text and the extra texts (golden/corpus/pipeline-extra.jsonl,
written here), `Tokenizer.from_file(...).encode(text)`: ids, tokens, offsets (code points), and
decode(ids, skip_special_tokens=True); and 300 pairs (text i with text i+1). The real tokenizer.json
files are recorded the same way when fetched: all-MiniLM-L6-v2's (WordPiece, BertProcessing) and
all-mpnet-base-v2's (WordPiece, RobertaProcessing with trim_offsets) from .cache/models.

Usage: HF_HUB_OFFLINE=1 golden/.venv/bin/python golden/generate_tokenizer_pipelines.py [--real-only]
(--real-only records the real folders and leaves the trained fixtures as they are.)
Pinned: tokenizers 0.23.3, transformers 5.23.0, sentencepiece 0.2.1 (golden/requirements.txt).
Deterministic: sentencepiece trains single-threaded with a fixed seed and no sampling; JSON is
written with sorted keys.
"""
import io
import json
import os
import sys
import unicodedata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import sentencepiece as spm  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
from transformers.convert_slow_tokenizer import AlbertConverter, XLMRobertaConverter  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from golden_io import write_bytes, write_text  # noqa: E402

assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__
assert spm.__version__ == "0.2.1", spm.__version__

ROOT = Path(__file__).parent
FIX = ROOT / "fixtures" / "tokenizers"
EXP = ROOT / "expected" / "tokenizer-pipelines"
MINILM = Path(os.environ.get("BERTKIT_MINILM", ROOT.parent / ".cache" / "models" / "all-MiniLM-L6-v2"))
MPNET = Path(os.environ.get("BERTKIT_MPNET", ROOT.parent / ".cache" / "models" / "all-mpnet-base-v2"))

# More scripts, emoji, odd whitespace and added tokens written in the text.
EXTRA = [
    "", " ", "   ", "\t", "\n\n", "a", " a", "a ", "  leading and trailing  ", "tab\tseparated\tvalues",
    "line one\nline two\r\nline three", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "em\u2003space",
    "zero\u200bwidth", "soft\u00adhyphen", "word\u2028separator", "Hello <mask> world", "<s>starts with special",
    "ends with special</s>", "two<mask><mask>masks", " <mask> spaced", "<pad><unk>", "<mask>", "[CLS] bert [SEP] tokens",
    "Ｆｕｌｌｗｉｄｔｈ ＡＳＣＩＩ １２３", "ligatures ﬁ ﬂ ﬀ ﬃ", "①②③ circled", "x² + y³ = z⁴", "½ ¼ ¾", "ｶﾀｶﾅ halfwidth",
    "café naïve résumé", "cafe\u0301 composed later", "Ångström", "İstanbul ıi", "straße STRASSE", "ΣΊΣΥΦΟΣ σίσυφος",
    "Привет, мир!", "Здравствуйте", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "হ্যালো", "สวัสดีชาวโลก", "ສະບາຍດີ",
    "こんにちは世界", "カタカナとひらがな", "你好，世界！", "繁體中文測試", "안녕하세요 세계", "한국어 자모 ㄱㄴㄷ", "Γειά σου Κόσμε",
    "Բարեւ աշխարհ", "გამარჯობა", "ሰላም ዓለም", "ᐊᐃᓐᓇᐃ", "ꦲꦤꦕꦫꦏ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "𠀀𠀁 rare CJK", "emoji 😀😃😄", "family 👨‍👩‍👧‍👦",
    "flags 🇫🇷🇯🇵", "skin 👍🏽", "keycap 1️⃣", "heart ❤️ vs ❤", "mixed123numbers456", "3.14159 2,718 1e-9", "$100 €50 £20 ¥1000",
    "can't won't shouldn't y'all 'tis", "It's 'quoted' and \"double\"", "CamelCaseWordsHere", "snake_case_words", "kebab-case-words",
    "e-mail@example.com http://x.y/z?q=1&r=2", "#hashtag @mention", "...!!!???", "((nested [brackets] {braces}))", "a" * 120,
    "supercalifragilisticexpialidocious", "antidisestablishmentarianism", "ŉ ǅ ǈ ǋ titlecase", "\u0000null\u0000", "\ufeffbom",
    "\u202eright-to-left override", "a\u0300\u0301\u0302 stacked marks", "ÅÅ Å", "Ⅻ roman ⅻ", "℃ ℉ ℡ ™", "ﬆ ﬅ",
    "\U0001F600\U0001F601 pair", "x\u200dy zwj", "𝟘𝟙𝟚 math digits", "\u3000\u3000double ideographic", "trailing tab\t",
]


def corpus_texts():
    with open(ROOT / "corpus" / "texts.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def write_jsonl(path, records):
    write_text(path, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in records))


def save_tokenizer(tok: Tokenizer, path: Path):
    # Pretty-printed and key-sorted so that two runs write the same bytes.
    data = json.loads(tok.to_str())
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def train_bpe(texts):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=700, min_frequency=2, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")),
                                                      trim_offsets=True, add_prefix_space=False)
    out = FIX / "roberta-bpe"
    out.mkdir(parents=True, exist_ok=True)
    save_tokenizer(tok, out / "tokenizer.json")
    vocab = tok.get_vocab(with_added_tokens=True)  # RoBERTa's vocab.json lists <mask> too
    write_text(out / "vocab.json", json.dumps(dict(sorted(vocab.items(), key=lambda kv: kv[1])), ensure_ascii=False) + "\n")
    merges = json.loads(tok.to_str())["model"]["merges"]
    write_text(out / "merges.txt", "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    return Tokenizer.from_file(str(out / "tokenizer.json"))


def normalization_rules(texts):
    """A small SentencePiece rule table: NFKC of every code point in the texts that NFKC changes,
    and of a few ranges (fullwidth forms, ligatures, circled numbers), plus two-code-point rules."""
    cps = set()
    for t in texts:
        cps.update(ord(c) for c in t)
    for lo, hi in [(0xFF01, 0xFF5E), (0xFB00, 0xFB06), (0x2460, 0x2473), (0x2070, 0x209C), (0x2150, 0x218B)]:
        cps.update(range(lo, hi + 1))
    rules = {}
    for cp in sorted(cps):
        c = chr(cp)
        n = unicodedata.normalize("NFKC", c)
        if n != c and n:
            rules[(cp,)] = tuple(ord(x) for x in n)
    rules[(0x3000,)] = (0x20,)
    rules[(0x65, 0x301)] = (0xE9,)  # a grapheme of two code points
    rules[(0x41, 0x30A)] = (0xC5,)
    lines = ["%s\t%s\n" % (" ".join("%X" % x for x in k), " ".join("%X" % x for x in v)) for k, v in sorted(rules.items())]
    return "".join(lines)


class SlowShim:
    """What transformers' SpmConverter reads from a slow tokenizer."""

    def __init__(self, model_file, special, lower=False):
        self.vocab_file = str(model_file)
        self.special = special
        self.do_lower_case = lower
        self.keep_accents = False
        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.add_prefix_space = True
        self.legacy = True

    def convert_tokens_to_ids(self, t):
        return self.special[t] if t in self.special else self.sp.piece_to_id(t)


def train_unigram(texts, name, model_name, byte_fallback, coverage, vocab_size, ids):
    out = FIX / name
    out.mkdir(parents=True, exist_ok=True)
    rules = out / "rules.tsv.tmp"
    rules.write_text(normalization_rules(texts), encoding="utf-8")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([t for t in texts if t.strip()]), model_writer=model, model_type="unigram", vocab_size=vocab_size,
        character_coverage=coverage, byte_fallback=byte_fallback, normalization_rule_tsv=str(rules), num_threads=1,
        shuffle_input_sentence=False, input_sentence_size=0, minloglevel=2, **ids)
    rules.unlink()
    write_bytes(out / model_name, model.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    if name.startswith("albert"):
        special = {p: sp.piece_to_id(p) for p in ["[CLS]", "[SEP]", "[MASK]", "<pad>", "<unk>"]}
        tok = AlbertConverter(SlowShim(out / model_name, special, lower=True)).converted()
        # AlbertConverter leaves byte fallback off; switch it on (and its decoder) to cover it.
        data = json.loads(tok.to_str())
        data["model"]["byte_fallback"] = True
        data["decoder"] = {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, data["decoder"]]}
        tok = Tokenizer.from_str(json.dumps(data))
    else:
        special = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": sp.get_piece_size() + 1}
        tok = XLMRobertaConverter(SlowShim(out / model_name, special)).converted()
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    save_tokenizer(tok, out / "tokenizer.json")
    return Tokenizer.from_file(str(out / "tokenizer.json"))


def record(tok: Tokenizer, texts, path: Path):
    tok.no_padding()  # as transformers' from_pretrained does: MiniLM's file pads to 128
    tok.no_truncation()
    lines = []
    for t in texts:
        e = tok.encode(t)
        lines.append({"text": t, "ids": e.ids, "tokens": e.tokens, "offsets": [list(o) for o in e.offsets],
                      "type_ids": e.type_ids, "decoded": tok.decode(e.ids, skip_special_tokens=True)})
    pairs = []
    for i in range(300):
        a, b = texts[i], texts[i + 1]
        e = tok.encode(a, b)
        pairs.append({"a": a, "b": b, "ids": e.ids, "tokens": e.tokens, "offsets": [list(o) for o in e.offsets],
                      "type_ids": e.type_ids})
    write_jsonl(path.with_suffix(".jsonl"), lines)
    write_jsonl(path.with_name(path.name + "-pairs.jsonl"), pairs)
    print(f"{path.name}: {len(lines)} texts, {len(pairs)} pairs, {sum(len(x['ids']) for x in lines)} tokens")


def main():
    corpus = corpus_texts()
    texts = corpus + EXTRA
    if "--real-only" not in sys.argv[1:]:
        train_fixtures(corpus, texts)
    for folder, name in [(MINILM, "minilm-wordpiece"), (MPNET, "mpnet-wordpiece")]:
        if (folder / "tokenizer.json").exists():
            record(Tokenizer.from_file(str(folder / "tokenizer.json")), texts, EXP / name)


def train_fixtures(corpus, texts):
    write_jsonl(ROOT / "corpus" / "pipeline-extra.jsonl", [{"text": t} for t in EXTRA])
    record(train_bpe(corpus), texts, EXP / "roberta-bpe")
    record(train_unigram(corpus, "xlmr-unigram", "sentencepiece.bpe.model", False, 0.995, 1000,
                                dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1)), texts, EXP / "xlmr-unigram")
    record(train_unigram(corpus, "albert-unigram", "spiece.model", True, 0.98, 800,
                                dict(pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"])), texts, EXP / "albert-unigram")


if __name__ == "__main__":
    main()
