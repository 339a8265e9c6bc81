"""What transformers' fast tokenizer gives the model paths for each pipeline tokenizer fixture.

For golden/fixtures/tokenizers/{roberta-bpe,xlmr-unigram,albert-unigram}/tokenizer.json, loaded as
PreTrainedTokenizerFast(tokenizer_file=..., <the family's special tokens>) -- what AutoTokenizer
builds for RobertaTokenizer / XLMRobertaTokenizer / AlbertTokenizer -- records, on the first texts
of golden/corpus/texts.jsonl (committed):
  pairs    tok(a, b, truncation=<strategy>, max_length=<m>, padding="max_length") for each strategy
           and max length: input_ids, token_type_ids, attention_mask, offsets, word_ids,
           sequence_ids, special_tokens_mask; or "error" when the tokenizer refuses
  batch    tok(texts, padding="longest"): the same fields
  windows  tok(question, context, truncation="only_second", max_length=m, stride=s,
           return_overflowing_tokens=True, return_offsets_mapping=True), as the question-answering
           pipeline and run_qa call it: each window's ids, word_ids, sequence_ids, offsets
  decode   tok.decode([id]) for the first 200 ids, and decode(ids, skip_special_tokens=True) of texts
  specials the special tokens by role and their ids, all_special_ids
Written to golden/expected/tokenizer-pipelines/model-inputs.json (sorted keys).

Usage: HF_HUB_OFFLINE=1 golden/.venv/bin/python golden/generate_tokenizer_model_inputs.py
Pinned: transformers 5.23.0, tokenizers 0.23.3 (golden/requirements.txt). Deterministic: no sampling.
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from golden_io import write_text  # noqa: E402

assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__

ROOT = Path(__file__).parent
FIX = ROOT / "fixtures" / "tokenizers"
OUT = ROOT / "expected" / "tokenizer-pipelines" / "model-inputs.json"

ROBERTA = dict(bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>", pad_token="<pad>", unk_token="<unk>",
               mask_token="<mask>")
ALBERT = dict(bos_token="[CLS]", eos_token="[SEP]", cls_token="[CLS]", sep_token="[SEP]", pad_token="<pad>", unk_token="<unk>",
              mask_token="[MASK]")
FAMILIES = {"roberta-bpe": ROBERTA, "xlmr-unigram": ROBERTA, "albert-unigram": ALBERT}
STRATEGIES = ["longest_first", "only_first", "only_second"]
MAX_LENGTHS = [6, 9, 13, 24]


def corpus(n):
    with open(ROOT / "corpus" / "texts.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f][:n]


def fields(enc, i=None):
    """The model-path fields of one encoding (of a batch when `i` is given)."""
    get = (lambda k: enc[k]) if i is None else (lambda k: enc[k][i])
    e = enc.encodings[0 if i is None else i]
    return {
        "input_ids": get("input_ids"),
        "token_type_ids": get("token_type_ids"),
        "attention_mask": get("attention_mask"),
        "offsets": [list(o) for o in get("offset_mapping")],
        "special_tokens_mask": get("special_tokens_mask"),
        "word_ids": e.word_ids,
        "sequence_ids": e.sequence_ids,
    }


def record(name):
    tok = PreTrainedTokenizerFast(tokenizer_file=str(FIX / name / "tokenizer.json"), **FAMILIES[name])
    texts = corpus(60)
    common = dict(return_token_type_ids=True, return_attention_mask=True, return_offsets_mapping=True, return_special_tokens_mask=True)
    pairs = []
    for k in range(0, 40, 2):
        a, b = texts[k], texts[k + 1]
        for strategy in STRATEGIES:
            for m in MAX_LENGTHS:
                case = {"a": a, "b": b, "truncation": strategy, "max_length": m}
                try:
                    case.update(fields(tok(a, b, truncation=strategy, max_length=m, padding="max_length", **common)))
                except Exception as ex:  # the tokenizer refuses: bertkit must refuse too
                    case["error"] = type(ex).__name__
                pairs.append(case)
    batch = tok(texts[:12], padding="longest", **common)
    batch = {"texts": texts[:12], "rows": [fields(batch, i) for i in range(12)]}
    windows = []
    for k in range(40, 60, 2):
        q, c = texts[k], " ".join(texts[k + 1:k + 7])
        # The fixtures' small vocabularies give many tokens per word: room for the question and a
        # few windows of context.
        for m, s in [(96, 16), (128, 32)]:
            enc = tok(q, c, truncation="only_second", max_length=m, stride=s, return_overflowing_tokens=True, return_offsets_mapping=True)
            windows.append({"question": q, "context": c, "max_length": m, "stride": s, "windows": [
                {"input_ids": enc["input_ids"][i], "offsets": [list(o) for o in enc["offset_mapping"][i]],
                 "word_ids": enc.encodings[i].word_ids, "sequence_ids": enc.encodings[i].sequence_ids}
                for i in range(len(enc["input_ids"]))]})
    decode = {"single": [tok.decode([i]) for i in range(200)],
              "texts": [{"ids": ids, "skipped": tok.decode(ids, skip_special_tokens=True), "kept": tok.decode(ids)}
                        for ids in tok(texts[:20])["input_ids"]]}
    roles = {r: [getattr(tok, r), getattr(tok, r + "_id")] for r in ["cls_token", "sep_token", "pad_token", "unk_token", "mask_token",
                                                                     "bos_token", "eos_token"]}
    return {"pairs": pairs, "batch": batch, "windows": windows, "decode": decode,
            "specials": {"roles": roles, "all_special_ids": sorted(tok.all_special_ids)}}


def main():
    out = {name: record(name) for name in FAMILIES}
    write_text(OUT, json.dumps(out, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
