"""What transformers 4.57.6 builds from a SentencePiece model alone, and what it makes of the corpus.

Transformers 5 builds XLM-R and ALBERT tokenizers from a `.model` without its normalization table, so
the reference for reading `sentencepiece.bpe.model` / `spiece.model` is 4.57.6's fast tokenizers
(`XLMRobertaTokenizerFast(vocab_file=...)`, `AlbertTokenizerFast(vocab_file=...)`: the
XLMRobertaConverter / AlbertConverter of convert_slow_tokenizer.py), from golden/.venv-tf.
Reads the fixtures golden/generate_tokenizer_pipelines.py trained; writes
golden/expected/tokenizer-pipelines/{xlmr,albert}-spm-model{,-pairs}.jsonl, same layout.

Usage: HF_HUB_OFFLINE=1 golden/.venv-tf/bin/python golden/generate_tokenizer_pipelines_spm.py
Pinned: transformers 4.57.6, tokenizers 0.22.2, sentencepiece 0.2.1 (golden/requirements-tf.txt).
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from golden_io import write_text  # noqa: E402

assert transformers.__version__ == "4.57.6", transformers.__version__
assert tokenizers.__version__ == "0.22.2", tokenizers.__version__
assert sentencepiece.__version__ == "0.2.1", sentencepiece.__version__

ROOT = Path(__file__).parent
FIX = ROOT / "fixtures" / "tokenizers"
EXP = ROOT / "expected" / "tokenizer-pipelines"


def write_jsonl(path, records):
    write_text(path, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in records))


def texts():
    out = []
    for f in ["texts.jsonl", "pipeline-extra.jsonl"]:
        out += [json.loads(x)["text"] for x in open(ROOT / "corpus" / f, encoding="utf-8")]
    return out


def record(tok, all_texts, name):
    lines = []
    for t in all_texts:
        e = tok.encode(t)
        lines.append({"text": t, "ids": e.ids, "tokens": e.tokens, "offsets": [list(o) for o in e.offsets],
                      "type_ids": e.type_ids, "decoded": tok.decode(e.ids, skip_special_tokens=True)})
    pairs = []
    for i in range(300):
        e = tok.encode(all_texts[i], all_texts[i + 1])
        pairs.append({"a": all_texts[i], "b": all_texts[i + 1], "ids": e.ids, "tokens": e.tokens,
                      "offsets": [list(o) for o in e.offsets], "type_ids": e.type_ids})
    write_jsonl(EXP / f"{name}.jsonl", lines)
    write_jsonl(EXP / f"{name}-pairs.jsonl", pairs)
    print(f"{name}: {len(lines)} texts, {len(pairs)} pairs")


def main():
    all_texts = texts()
    x = transformers.XLMRobertaTokenizerFast(vocab_file=str(FIX / "xlmr-unigram" / "sentencepiece.bpe.model"))
    a = transformers.AlbertTokenizerFast(vocab_file=str(FIX / "albert-unigram" / "spiece.model"))
    for name, t in [("xlmr-spm-model", x), ("albert-spm-model", a)]:
        tok = t.backend_tokenizer
        tok.no_padding()
        tok.no_truncation()
        record(tok, all_texts, name)


if __name__ == "__main__":
    main()
