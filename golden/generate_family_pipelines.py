#!/usr/bin/env python3
"""What transformers' pipelines return on the RoBERTa / XLM-RoBERTa / ELECTRA / DistilBERT / MPNet / ALBERT fixtures
(golden/generate_roberta.py, golden/generate_electra.py, golden/generate_distilbert.py, golden/generate_mpnet.py,
golden/generate_albert.py).

    golden/.venv/bin/python golden/generate_family_pipelines.py     # the question-answering part runs in
                                                                    # golden/.venv-tf (transformers 4.57.6)

Writes golden/expected/families/pipelines.json:
- `fill-mask`: per masked-LM fixture (each family's tied one, and UNTIED_MASKED_LM), per text, `pipeline("fill-mask")(text, top_k=3)`;
- `text-classification`: per sequence-classification fixture (single-label, multi-label, regression),
  per text, `pipeline("text-classification")(text, top_k=None)` (softmax / sigmoid / none as the
  pipeline picks from problem_type);
- `token-classification`: per token-classification fixture, per aggregation strategy (none, simple,
  first, average, max), per text, the pipeline's entities (byte-level BPE `Ġ`, SentencePiece `▁` word
  starts, WordPiece `##` continuations, offsets in characters);
- `multiple-choice`: per multiple-choice fixture, per example, softmax over the choices of the logits of
  the model on `<s> context </s></s> choice </s>` (transformers has no multiple-choice pipeline);
- `replaced-token-detection`: per ElectraForPreTraining fixture, per text, each non-special token with its
  index, character offsets and sigmoid(logit) (no transformers pipeline: the model card's reading);
and golden/expected/families/question-answering.json: `pipeline("question-answering")` of transformers
4.57.6 (5.x removed it) per QA fixture at top_k QA_TOP_K (recorded as `top_k`), its first QA_TOP_K - 1 answers
kept (the last only to check the gap below them). The top_k is part of the input: the pipeline keeps
top_k * 2 + 10 spans per window before it sums the spans that widen to the same text, so a smaller top_k
can drop a span from a sum and reorder the answers (DistilBERT's "When was the meeting?": at top_k 2 the
second answer is "30 p.m. on Tuesday", at 3 it is "p.m. on Tuesday"); a test must ask for the same top_k.

Texts are chosen so that no ranking is a near-tie: every compared list's scores differ by at least
MIN_GAP in log-score (bertkit's logits agree with PyTorch's to ~1e-6 on these models), else the text is dropped
(the script asserts enough remain). Deterministic: no sampling, one torch thread, sorted JSON keys.
"""

import offline_env  # noqa: F401

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "families"
OUT = HERE / "expected" / "families"
TF_PYTHON = HERE / ".venv-tf" / "bin" / "python"
# Logit gaps (log-score differences): bertkit's logits agree with PyTorch's to ~1e-6 on these models.
MIN_GAP = 1e-4
# Fixture name prefixes (`roberta-masked-lm`, …); FILL's `<mask>` becomes each tokenizer's mask token ([MASK]).
FAMILIES = ("roberta", "xlmr", "electra", "distilbert", "mpnet", "albert")
# The question-answering pipeline's top_k; the answers above the last are recorded.
QA_TOP_K = 3
# Masked-LM fixtures with their own decoder (tie_word_embeddings false), beside each family's tied one.
UNTIED_MASKED_LM = ["distilbert-masked-lm-untied"]

FILL = ["The cat sat on the <mask>.", "Hello <mask>!", "<mask> won the game today.", "Stock prices <mask> in the city.",
        "The quick brown <mask> jumps over the lazy dog.", "She sells sea <mask> by the sea shore.",
        "Where did the <mask> go?", "I can't <mask> it's already Friday."]
CLASSIFY = ["The quick brown fox jumps over the lazy dog.", "Hello, world!", "Stock prices rose 5% in the city!",
            "Who won the game? The team did.", "She sells sea shells by the sea shore.",
            "The meeting was moved to 3:30 p.m. on Tuesday, March 4th.", "Tokenizers turn raw text into integer ids."]
TOKENS = ["Angela Merkel met Barack Obama in Berlin.", "The quick brown fox jumps over the lazy dog near Paris.",
          "Hello world, said Alice to Bob in New York.", "Zürich and Genève are cities.", "I can't believe it's Friday!"]
STRATEGIES = ["none", "simple", "first", "average", "max"]
CHOICES = [("The cat sat on the", ["mat.", "stock market.", "big computer."]),
           ("Prices fell at the", ["bank today.", "lazy dog.", "news."]),
           ("Who won the game?", ["The team did.", "Nobody knows.", "It rained."])]
QA = [("Who won the game?", "The team won the game today, and the fans went home happy."),
      ("Where is the cat?", "The cat sat on the mat, not in the bank."),
      ("When was the meeting?", "The meeting was moved to 3:30 p.m. on Tuesday, March 4th.")]


def gaps_ok(scores):
    import math

    s = sorted((math.log(max(x, 1e-30)) for x in scores), reverse=True)
    return all(a - b >= MIN_GAP for a, b in zip(s, s[1:]))


def fill_mask(pipe_cls):
    out = {}
    for name in [f"{fam}-masked-lm" for fam in FAMILIES] + UNTIED_MASKED_LM:
        pipe = pipe_cls("fill-mask", model=str(FIXTURES / name / "safetensors"))
        cases = []
        for t in (t.replace("<mask>", pipe.tokenizer.mask_token) for t in FILL):
            r = pipe(t, top_k=4)  # the 4th only to check the gap below the 3rd
            if gaps_ok([c["score"] for c in r]):
                cases.append({"input": t, "output": r[:3]})
        assert len(cases) >= 4, (name, len(cases))
        out[name] = cases
    return out


def text_classification(pipe_cls):
    out = {}
    for name in ("roberta-sequence-classification", "roberta-multi-label", "roberta-regression", "xlmr-sequence-classification",
                 "electra-sequence-classification", "electra-multi-label", "electra-regression",
                 "distilbert-sequence-classification", "distilbert-multi-label", "distilbert-regression",
                 "mpnet-sequence-classification", "mpnet-regression",
                 "albert-sequence-classification"):
        pipe = pipe_cls("text-classification", model=str(FIXTURES / name / "safetensors"))
        cases = []
        for t in CLASSIFY:
            r = pipe(t, top_k=None)
            if len(r) == 1 or gaps_ok([c["score"] for c in r]):
                cases.append({"input": t, "output": r})
        assert len(cases) >= 4, (name, len(cases))
        out[name] = cases
    return out


def token_classification(pipe_cls):
    out = {}
    for fam in FAMILIES:
        name = f"{fam}-token-classification"
        per = {}
        for s in STRATEGIES:
            pipe = pipe_cls("token-classification", model=str(FIXTURES / name / "safetensors"), aggregation_strategy=s)
            per[s] = [{"input": t, "output": [{k: (float(v) if k == "score" else v) for k, v in e.items()} for e in pipe(t)]}
                      for t in TOKENS]
        out[name] = per
    return out


def multiple_choice():
    import torch
    import transformers

    out = {}
    # Not DistilBERT nor ALBERT: their tiny multiple-choice fixtures left all examples but one within MIN_GAP
    # (their logits are checked tap by tap against record.py's golden instead, FamilyGoldenTests).
    for fam in (f for f in FAMILIES if f not in ("distilbert", "albert")):
        name = f"{fam}-multiple-choice"
        folder = str(FIXTURES / name / "safetensors")
        tok = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.AutoModelForMultipleChoice.from_pretrained(folder, attn_implementation="eager").eval()
        cases = []
        for context, choices in CHOICES:
            e = tok([context] * len(choices), choices, padding=True, return_tensors="pt")
            with torch.no_grad():
                logits = model(**{k: v.unsqueeze(0) for k, v in e.items()}).logits[0]
            scores = torch.softmax(logits, dim=-1).tolist()
            assert gaps_ok(scores), (name, context)
            cases.append({"context": context, "choices": choices, "output": [{"choice": c, "score": s} for c, s in zip(choices, scores)]})
        out[name] = cases
    return out


def replaced_token_detection():
    """ElectraForPreTraining has no pipeline; its model card reads the discriminator's logits per token.
    Per text: every token the tokenizer did not add (special_tokens_mask 0), its index in the input,
    its character offsets and sigmoid(logit), the probability it was replaced."""
    import torch
    import transformers

    out = {}
    for name in ("electra-pre-training",):
        folder = str(FIXTURES / name / "safetensors")
        tok = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.ElectraForPreTraining.from_pretrained(folder, attn_implementation="eager").eval()
        cases = []
        for t in CLASSIFY + FILL[:2]:
            e = tok(t, return_offsets_mapping=True, return_special_tokens_mask=True, return_tensors="pt")
            offsets, special = e.pop("offset_mapping")[0].tolist(), e.pop("special_tokens_mask")[0].tolist()
            with torch.no_grad():
                logits = model(**e).logits[0]
            scores = torch.sigmoid(logits).tolist()
            tokens = tok.convert_ids_to_tokens(e["input_ids"][0].tolist())
            cases.append({"input": t, "output": [{"token": tokens[i], "index": i, "start": offsets[i][0], "end": offsets[i][1],
                                                  "score": scores[i]} for i in range(len(tokens)) if not special[i]]})
        out[name] = cases
    return out


def question_answering() -> None:
    """Inside golden/.venv-tf: transformers 4.57.6's question-answering pipeline. Each recorded case also
    passes generate_question_answering.py's checks: its postprocess, redone from the captured logits,
    gives the pipeline's answers, and no near-tie (relative 1e-3) sits at the top_k cut, at a window's
    top_k * 2 + 10 cut or between two spans of one answer text."""
    import transformers
    from generate_question_answering import check_margins, postprocess, windows_of

    out = {"transformers": transformers.__version__, "top_k": QA_TOP_K}
    for fam in FAMILIES:
        name = f"{fam}-question-answering"
        pipe = transformers.pipeline("question-answering", model=str(FIXTURES / name / "safetensors"))
        tok = pipe.tokenizer
        captured = []
        pipe.model.register_forward_hook(lambda m, args, kwargs, o: captured.append(
            (kwargs["input_ids"][0].tolist(), o.start_logits[0].numpy().copy(), o.end_logits[0].numpy().copy())), with_kwargs=True)
        max_seq_len = min(tok.model_max_length, 384)
        cases = []
        for q, c in QA:
            captured.clear()
            r = pipe(question=q, context=c, top_k=QA_TOP_K)
            windows = windows_of(tok, q, c, max_seq_len, min(max_seq_len // 2, 128))
            assert [w[0] for w in captured] == [w["input_ids"] for w in windows], (name, q, "the pipeline ran other windows")
            stats = {"summed": 0, "summed_other_case": 0, "widened": 0}
            redone, ranked = postprocess(windows, [w[1] for w in captured], [w[2] for w in captured], c, QA_TOP_K, False, 15,
                                         tok.cls_token_id, stats)
            assert redone[:QA_TOP_K] == r, (name, q, redone[:QA_TOP_K], r)
            # Only the first QA_TOP_K - 1 answers are recorded: a near-tie below the next one changes nothing compared.
            # A case with a near-tie that matters is dropped, as near-tie texts are everywhere else here.
            try:
                check_margins(f"{name}: {q}", redone, ranked, QA_TOP_K, c, recorded=QA_TOP_K - 1)
            except AssertionError as e:
                print(f"  dropped: {e}", file=sys.stderr)
                continue
            if gaps_ok([a["score"] for a in r]):
                cases.append({"question": q, "context": c,
                              "output": [{k: (float(v) if k == "score" else v) for k, v in a.items()} for a in r[:QA_TOP_K - 1]]})
        assert len(cases) >= 2, (name, len(cases))
        out[name] = cases
    (OUT / "question-answering.json").write_text(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


def main() -> None:
    if sys.argv[1:] == ["--qa-only"]:
        import torch

        torch.set_num_threads(1)
        question_answering()
        return
    import torch
    import transformers

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    out = {"transformers": transformers.__version__, "fill-mask": fill_mask(transformers.pipeline),
           "text-classification": text_classification(transformers.pipeline),
           "token-classification": token_classification(transformers.pipeline), "multiple-choice": multiple_choice(),
           "replaced-token-detection": replaced_token_detection()}
    (OUT / "pipelines.json").write_text(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    subprocess.run([str(TF_PYTHON), __file__, "--qa-only"], check=True)


if __name__ == "__main__":
    main()
