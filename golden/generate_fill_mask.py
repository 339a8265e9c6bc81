"""fill-mask goldens: transformers' fill-mask pipeline on MiniLM under a random masked-LM head.

Saves the heads (golden/head_models.py):
- `fixtures/minilm-heads/fill-mask`: BertForMaskedLM, seed 0 (no pooler; the decoder is tied to
  MiniLM's real word embeddings, the transform is transformers' random init, the bias zeros);
- `fixtures/minilm-heads/pre-training`: BertForPreTraining, seed 4 (MiniLM's pooler; MLM + NSP heads).

Writes:
- `expected/pipelines/fill-mask.json`: for each case (options: top_k, targets) the inputs and, per
  input, exactly what `pipeline("fill-mask")(text, **options)` returns for that text alone (a list of
  {score, token, token_str, sequence}, or one such list per mask); for targets, what each target
  became (the pipeline warns and takes the first sub-token of a target that is not a vocabulary
  entry, and drops one that tokenizes to nothing); the pre-training head's case.
- `expected/pipelines/decode.json`: `tokenizer.decode(ids)` of MiniLM's tokenizer on the ids of the
  fill-mask texts and of the corpus's hand-written texts, with and without skip_special_tokens and
  clean_up_tokenization_spaces, plus hand-made id lists (a `##` piece first, punctuation, `do not`).

Asserted here: no near-ties. For every list compared, the logits of the ranked candidates (and of
the first one left out) differ by at least MIN_LOGIT_GAP, so float rounding cannot reorder them.

    golden/.venv/bin/python golden/generate_fill_mask.py
"""
import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
import logging
from pathlib import Path

import torch
import tokenizers
import transformers
from golden_io import write_text
from head_models import HEAD_FIXTURES, minilm_with_head, save_head

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected" / "pipelines"
FILL_MASK_SEED = 0
PRE_TRAINING_SEED = 4
# bertkit's logits agree with PyTorch's to ~1e-5 (MiniLM, f32); 20x that keeps every ranking stable.
MIN_LOGIT_GAP = 2e-4

TEXTS = [
    "Paris is the [MASK] of France.",
    "Le café [MASK] très bon à Zürich, n'est-ce pas ?",
    "東京は日本の[MASK]です。",
    "The [MASK] sat on the [MASK].",
    "[MASK] is what I said, and it's done!",
    "Ünïcödé straße: 北京[MASK]大学, a naïve résumé.",
    "He didn't go there [MASK] because it's raining , he said .",
    "Literal [SEP] and [CLS] tokens around a [MASK] here.",
    "[MASK] [MASK] [MASK]",
    "[MASK]",
    "The [MASK]s were unbelievably hyperparameterized.",
    "[PAD] padding around the [MASK] and [MASK] tokens",
    "Москва — [MASK] России, а Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "서울은 한국의 [MASK] 도시입니다.",
    " ".join(["The committee reviewed every proposal in detail before the vote."] * 12) + " The result was [MASK].",
]

CASES = [
    ("default", {}, TEXTS),
    ("top_k 1", {"top_k": 1}, [TEXTS[0], TEXTS[3], TEXTS[2]]),
    ("top_k 12", {"top_k": 12}, [TEXTS[1], TEXTS[8]]),
    # Not in the vocabulary: "Paris" (uncased vocab: tokenized to "paris"), "xylophonist" (first
    # piece "x"), "naïve" ("naive"); "\u200b" tokenizes to nothing (dropped); "capital" twice
    # (counted once); "[SEP]" is a special token, a candidate like any other.
    ("targets", {"targets": ["capital", "Paris", "xylophonist", "city", "capital", "[SEP]", "naïve", "東", "\u200b"]},
     [TEXTS[0], TEXTS[3], TEXTS[2]]),
    # Fewer targets than top_k: top_k becomes the number of targets.
    ("targets fewer than top_k", {"targets": ["city", "##s"], "top_k": 5}, [TEXTS[0], TEXTS[10]]),
]

PRE_TRAINING_TEXTS = ["Paris is the [MASK] of France.", "The [MASK] sat on the [MASK]."]


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def versions() -> dict:
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}


def check_no_near_ties(pipe, text, top_k, target_ids):
    """The logits at each mask: the ranked candidates and the next one differ by MIN_LOGIT_GAP."""
    enc = pipe.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = logits_of(pipe, enc)[0]
    masks = torch.nonzero(enc["input_ids"][0] == pipe.tokenizer.mask_token_id).squeeze(-1)
    for m in masks.tolist():
        row = logits[m].double()
        if target_ids is not None:
            row = row[torch.tensor(sorted(target_ids))]
        k = min(top_k + 1, row.numel())
        top = row.topk(k).values
        gaps = (top[:-1] - top[1:]).tolist()
        assert min(gaps, default=1) >= MIN_LOGIT_GAP, f"near-tie in {text!r} at {m}: gaps {gaps}"


def logits_of(pipe, enc):
    out = pipe.model(**enc)
    return out.prediction_logits if hasattr(out, "prediction_logits") else out.logits


def rename_prediction_logits(pipe):
    """The pipeline reads `logits`; BertForPreTraining calls its MLM logits `prediction_logits`, so
    the pipeline cannot run it as it is. Only `_forward` changes: preprocess and postprocess are the
    pipeline's own."""
    def _forward(model_inputs):
        return {"logits": pipe.model(**model_inputs).prediction_logits, "input_ids": model_inputs["input_ids"]}
    pipe._forward = _forward


def run_case(pipe, options, texts):
    capture = Captured()
    logger = transformers.pipelines.fill_mask.logger
    logger.addHandler(capture)
    level = logger.level
    logger.setLevel(logging.WARNING)  # offline_env keeps transformers quiet (TRANSFORMERS_VERBOSITY=error)
    try:
        outputs = [pipe(t, **options) for t in texts]
        target_ids = pipe.get_target_ids(options["targets"]).tolist() if "targets" in options else None
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)
    top_k = options.get("top_k", 5)
    if target_ids is not None:
        top_k = min(top_k, len(target_ids))
    for t in texts:
        check_no_near_ties(pipe, t, top_k, target_ids)
    case = {"options": options, "inputs": texts, "outputs": outputs}
    if "targets" in options:
        vocab = pipe.tokenizer.get_vocab()
        resolved = []
        for t in options["targets"]:
            if t in vocab:
                resolved.append({"target": t, "token": t, "id": vocab[t], "in_vocabulary": True})
                continue
            ids = pipe.tokenizer(t, add_special_tokens=False)["input_ids"]
            resolved.append({"target": t, "token": pipe.tokenizer.convert_ids_to_tokens(ids[0]) if ids else None,
                             "id": ids[0] if ids else None, "in_vocabulary": False})
        case["targets"] = resolved
        case["target_ids"] = sorted(target_ids)
        # Each replaced or dropped target was warned about (each case runs the pipeline per text).
        for r in resolved:
            if not r["in_vocabulary"]:
                assert any(f"`{r['target']}`" in m for m in capture.messages), (r, capture.messages)
    return case


def fill_mask_pipe(class_name, seed):
    model, tok = minilm_with_head(class_name, seed=seed)
    return model, tok, transformers.pipeline("fill-mask", model=model, tokenizer=tok, device="cpu")


def decode_cases(tok) -> list:
    corpus = [json.loads(l)["text"] for l in (HERE / "corpus" / "texts.jsonl").read_text("utf-8").splitlines()[:320]]
    id_lists = [tok(t)["input_ids"] for t in TEXTS + corpus]
    v = tok.get_vocab()
    made = [["##s"], ["##s", "##s", "."], [".", "##s"], ["[MASK]", "##s"], ["do", "not", "'", "s", "don", "'", "t"],
            ["[CLS]", "##ing", "[SEP]"], ["hello", ",", "world", "!", "?", "...", "'", "re"], ["[PAD]", "a", "[PAD]"],
            ["[unused0]", "x", "[UNK]"], ["##'", "'", "##s"], []]
    id_lists += [[v[t] for t in toks] for toks in made]
    cases = []
    for ids in id_lists:
        decoded = {}
        for skip in (False, True):
            for clean in (False, True):
                decoded[f"skip={skip} clean_up={clean}"] = tok.decode(ids, skip_special_tokens=skip,
                                                                       clean_up_tokenization_spaces=clean)
        cases.append({"ids": ids, "decoded": decoded})
    return cases


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model, tok, pipe = fill_mask_pipe("BertForMaskedLM", FILL_MASK_SEED)
    assert model.config.tie_word_embeddings
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    assert type(tok.backend_tokenizer.decoder).__name__ == "WordPiece" and not tok.clean_up_tokenization_spaces
    save_head(model, HEAD_FIXTURES / "fill-mask")
    cases = [dict(name=name, **run_case(pipe, options, texts)) for name, options, texts in CASES]

    pt_model, _, pt_pipe = fill_mask_pipe("BertForPreTraining", PRE_TRAINING_SEED)
    save_head(pt_model, HEAD_FIXTURES / "pre-training")
    rename_prediction_logits(pt_pipe)
    pre_training = dict(name="pre-training default", **run_case(pt_pipe, {}, PRE_TRAINING_TEXTS))

    doc = {"versions": versions(), "model": "minilm-heads/fill-mask", "mask_token": tok.mask_token,
           "cases": cases, "pre_training": {"model": "minilm-heads/pre-training", "case": pre_training}}
    write_text(OUT / "fill-mask.json", json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    dec = {"versions": versions(), "tokenizer": "all-MiniLM-L6-v2", "cases": decode_cases(tok)}
    write_text(OUT / "decode.json", json.dumps(dec, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {OUT / 'fill-mask.json'} and {OUT / 'decode.json'}")


if __name__ == "__main__":
    main()
