"""Question-answering training and evaluation goldens: run_qa's training features, its
postprocess_qa_predictions and the SQuAD EM/F1, what bertkit's Tasks/QuestionAnswering must give.

    golden/.venv-tf/bin/python golden/generate_question_answering_training.py
    # writes golden/expected/question-answering/{features,postprocess,metrics}.json

Runs in golden/.venv-tf (transformers 4.57.6, tokenizers 0.22.2): transformers 4.x still ships
`transformers.data.metrics.squad_metrics` (evaluate-v2.0's code), which scores the metric cases. run_qa.py
and utils_qa.py are transformers' examples and not installed; `train_features` and `postprocess` below
re-derive prepare_train_features and postprocess_qa_predictions from their documented behaviour
(REFERENCES §7); the fast tokenizer (MiniLM's tokenizer.json) gives the windows and offsets. SQuAD v1.1's
official script (evaluate-v1.1.py) is not installed either: `v1_exact`/`v1_f1` are its two functions,
and the script asserts they agree with squad_metrics wherever no text normalizes to nothing.

features.json     per run (max_seq_length, doc_stride): every example's features, each with input_ids,
                  token_type_ids, offsets (context tokens; [0, 0] elsewhere), the example index and
                  start/end positions. Examples: short, long (several windows at 384/128 and many at
                  64/16), answers straddling window edges, SQuAD v2 impossible ones, an answer at a
                  window's last context token (run_qa's "edge case"), a question with leading spaces.
postprocess.json  per setting (v1 defaults; v2 with null thresholds 0, -2 and 8; n_best 5 / max length
                  4): examples, their windows (ids, offsets, context positions), seeded float32 start/
                  end logits, and the predictions: text, n-best (text, start/end logit, probability),
                  null-score diff. The script asserts no two candidate scores tie exactly.
metrics.json      pairs (prediction, gold) with squad_metrics' compute_exact / compute_f1 and
                  evaluate-v1.1's; sets of questions with squad_evaluate's full dict (v2, with the
                  null-score diffs as no_answer_probs for the best thresholds) and v1.1's EM/F1.
"""
import os

os.environ.setdefault("USE_TF", "0")
import offline_env  # noqa: F401

import collections
import json
import re
import string
import types
from pathlib import Path

import numpy as np
import tokenizers
import transformers
from transformers.data.metrics import squad_metrics

from generate_question_answering import LONG
from golden_io import write_text
from head_models import MINILM

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "golden/expected/question-answering"
SEED = 15


def answer(context, text, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = context.index(text, start + 1)
    return {"text": text, "answer_start": start}


SHORT = "The Eiffel Tower was completed in 1889 and stands 330 metres tall on the Champ de Mars in Paris."
EDGE = "Ada Lovelace wrote the first published algorithm for the Analytical Engine, a machine designed in London"
EXAMPLES = [
    {"id": "short-1", "question": "When was the Eiffel Tower completed?", "context": SHORT, "answers": [answer(SHORT, "1889")]},
    {"id": "short-2", "question": "   Where does the tower stand?", "context": SHORT,
     "answers": [answer(SHORT, "on the Champ de Mars in Paris"), answer(SHORT, "Paris")]},
    {"id": "short-impossible", "question": "Who designed the tower's lifts?", "context": SHORT, "answers": []},
    {"id": "edge-last-word", "question": "Where was the engine designed?", "context": EDGE, "answers": [answer(EDGE, "London")]},
    {"id": "long-start", "question": "When was the Harwick Canal begun?", "context": LONG, "answers": [answer(LONG, "1791")]},
    {"id": "long-middle", "question": "When did the railway reach Harwick?", "context": LONG, "answers": [answer(LONG, "1846")]},
    {"id": "long-end", "question": "How many boats might be moored in the basin on a busy morning?", "context": LONG,
     "answers": [answer(LONG, "as many as sixty boats")]},
    {"id": "long-span", "question": "Who was fined for nailing cork to his hull?", "context": LONG,
     "answers": [answer(LONG, "A boatman named Josiah Pell")]},
    {"id": "long-impossible", "question": "What colour were the boats painted?", "context": LONG, "answers": []},
    {"id": "accents", "question": "Qui a écrit « Les Misérables » ?",
     "context": "Les Misérables est un roman de Victor Hugo, publié en 1862 à Bruxelles.",
     "answers": [answer("Les Misérables est un roman de Victor Hugo, publié en 1862 à Bruxelles.", "Victor Hugo")]},
]
FEATURE_RUNS = [(384, 128), (64, 16), (48, 8)]


def tokenizer():
    tok = transformers.AutoTokenizer.from_pretrained(str(MINILM))
    assert tok.is_fast
    return tok


def encode(tok, example, max_seq_length, doc_stride):
    """run_qa's tokenizer call, unpadded (`--pad_to_max_length False`), one example."""
    return tok(example["question"].lstrip(), example["context"], truncation="only_second", max_length=max_seq_length,
               stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)


def train_features(tok, example, max_seq_length, doc_stride):
    """prepare_train_features for one example, re-derived from its documentation."""
    enc = encode(tok, example, max_seq_length, doc_stride)
    out = []
    for i, ids in enumerate(enc["input_ids"]):
        offsets, seq = enc["offset_mapping"][i], enc.sequence_ids(i)
        cls = ids.index(tok.cls_token_id)
        a = example["answers"]
        if not a:
            start = end = cls
        else:
            start_char = a[0]["answer_start"]
            end_char = start_char + len(a[0]["text"])
            ts = 0
            while seq[ts] != 1:
                ts += 1
            te = len(ids) - 1
            while seq[te] != 1:
                te -= 1
            if not (offsets[ts][0] <= start_char and offsets[te][1] >= end_char):
                start = end = cls
            else:
                # The walk up does not stop at the context's end (run_qa's edge case).
                while ts < len(offsets) and offsets[ts][0] <= start_char:
                    ts += 1
                start = ts - 1
                while offsets[te][1] >= end_char:
                    te -= 1
                end = te + 1
        out.append({"input_ids": ids, "token_type_ids": enc["token_type_ids"][i],
                    "offsets": [list(o) if s == 1 else [0, 0] for o, s in zip(offsets, seq)],
                    "start_position": start, "end_position": end})
    return out


def check_answer_tokens(tok, example, feats):
    """Every window that points at the answer covers exactly its text, or the edge case."""
    for f in feats:
        if f["start_position"] == 0:
            continue
        a = example["answers"][0]
        s, e = f["start_position"], f["end_position"]
        if s == len(f["input_ids"]) - 1:
            assert example["id"] == "edge-last-word", example["id"]
            continue
        got = example["context"][f["offsets"][s][0]:f["offsets"][e][1]]
        assert a["text"] in got, (example["id"], got, a["text"])


def features_golden(tok):
    runs = []
    for max_len, stride in FEATURE_RUNS:
        rows = []
        for n, ex in enumerate(EXAMPLES):
            feats = train_features(tok, ex, max_len, stride)
            check_answer_tokens(tok, ex, feats)
            for f in feats:
                rows.append({"example": n, **f})
        runs.append({"max_seq_length": max_len, "doc_stride": stride, "features": rows})
    edge = [r for r in runs[0]["features"] if EXAMPLES[r["example"]]["id"] == "edge-last-word"]
    assert edge[0]["start_position"] == len(edge[0]["input_ids"]) - 1, "the edge case must be exercised"
    return {"examples": EXAMPLES, "runs": runs}


def postprocess(example, windows, starts, ends, n_best, max_answer_length, v2, threshold):
    """postprocess_qa_predictions for one example, re-derived from its documentation."""
    prelim, min_null = [], None
    for w, sl, el in zip(windows, starts, ends):
        offsets = [tuple(o) if c else None for o, c in zip(w["offsets"], w["is_context"])]
        null = sl[0] + el[0]
        if min_null is None or min_null["score"] > null:
            min_null = {"offsets": (0, 0), "score": null, "start_logit": sl[0], "end_logit": el[0]}
        for s in np.argsort(sl, kind="stable")[-1:-n_best - 1:-1].tolist():
            for e in np.argsort(el, kind="stable")[-1:-n_best - 1:-1].tolist():
                if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                    continue
                if e < s or e - s + 1 > max_answer_length:
                    continue
                prelim.append({"offsets": (offsets[s][0], offsets[e][1]), "score": sl[s] + el[e],
                               "start_logit": sl[s], "end_logit": el[e]})
    if v2:
        prelim.append(min_null)
        null_score = min_null["score"]
    preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best]
    scores_seen = [p["score"] for p in preds]
    assert len(set(scores_seen)) == len(scores_seen), "a tie would leave the order open"
    if v2 and not any(p["offsets"] == (0, 0) for p in preds):
        preds.append(min_null)
    for p in preds:
        o = p.pop("offsets")
        p["text"] = example["context"][o[0]:o[1]]
        p["characters"] = list(o)
    if len(preds) == 0 or (len(preds) == 1 and preds[0]["text"] == ""):
        preds.insert(0, {"text": "empty", "start_logit": np.float32(0), "end_logit": np.float32(0),
                         "score": np.float32(0), "characters": [0, 0]})
    scores = np.array([p.pop("score") for p in preds], dtype=np.float32)
    exp = np.exp(scores - np.max(scores))
    probs = exp / exp.sum()
    for p, q in zip(preds, probs):
        p["probability"] = float(q)
        p["start_logit"], p["end_logit"] = float(p["start_logit"]), float(p["end_logit"])
    result = {"id": example["id"], "nbest": preds}
    if not v2:
        result["text"] = preds[0]["text"]
    else:
        i = 0
        while preds[i]["text"] == "":
            i += 1
        best = preds[i]
        diff = np.float32(null_score) - np.float32(best["start_logit"]) - np.float32(best["end_logit"])
        result["null_score_diff"] = float(diff)
        result["best_non_null"] = best["text"]
        result["text"] = "" if diff > threshold else best["text"]
    return result


POST_SETTINGS = [
    {"name": "v1-defaults", "n_best": 20, "max_answer_length": 30, "v2": False, "threshold": 0.0},
    {"name": "v2-threshold-0", "n_best": 20, "max_answer_length": 30, "v2": True, "threshold": 0.0},
    {"name": "v2-threshold-minus-2", "n_best": 20, "max_answer_length": 30, "v2": True, "threshold": -2.0},
    {"name": "v2-threshold-8", "n_best": 20, "max_answer_length": 30, "v2": True, "threshold": 8.0},
    {"name": "v1-nbest-5-max-4", "n_best": 5, "max_answer_length": 4, "v2": False, "threshold": 0.0},
]


def postprocess_golden(tok):
    rng = np.random.default_rng(SEED)
    max_len, stride = 64, 16  # several windows for the long context
    examples = []
    for ex in EXAMPLES:
        enc = encode(tok, ex, max_len, stride)
        windows, starts, ends = [], [], []
        for i, ids in enumerate(enc["input_ids"]):
            seq = enc.sequence_ids(i)
            windows.append({"input_ids": ids, "offsets": [list(o) for o in enc["offset_mapping"][i]],
                            "is_context": [s == 1 for s in seq]})
            # Spread 3: a few spans stand out, many compete within n-best.
            sl, el = rng.standard_normal(len(ids)) * 3, rng.standard_normal(len(ids)) * 3
            # [CLS] raised so that the null answer competes: the differences fall on both sides of the
            # thresholds.
            sl[0] += 5.5
            el[0] += 5.5
            starts.append(sl.astype(np.float32))
            ends.append(el.astype(np.float32))
        examples.append({"example": ex, "windows": windows, "starts": starts, "ends": ends})
    runs = []
    for s in POST_SETTINGS:
        preds = [postprocess(e["example"], e["windows"], e["starts"], e["ends"], s["n_best"], s["max_answer_length"],
                             s["v2"], s["threshold"]) for e in examples]
        runs.append({**s, "predictions": preds})
    doc_examples = [{"example": e["example"], "windows": e["windows"],
                     "start_logits": [[float(x) for x in a] for a in e["starts"]],
                     "end_logits": [[float(x) for x in a] for a in e["ends"]]} for e in examples]
    return {"max_seq_length": max_len, "doc_stride": stride, "examples": doc_examples, "runs": runs}


# evaluate-v1.1.py's two scoring functions (its normalize_answer is squad_metrics').
def v1_f1(prediction, ground_truth):
    p, g = squad_metrics.normalize_answer(prediction).split(), squad_metrics.normalize_answer(ground_truth).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0
    precision, recall = same / len(p), same / len(g)
    return (2 * precision * recall) / (precision + recall)


def v1_exact(prediction, ground_truth):
    return squad_metrics.normalize_answer(prediction) == squad_metrics.normalize_answer(ground_truth)


PAIRS = [
    ("Paris", "Paris"), ("paris.", "Paris"), ("the Champ de Mars", "Champ de Mars"), ("in Paris, France", "Paris"),
    ("Victor Hugo", "Hugo Victor"), ("a a b", "a b b"), ("1889", "in 1889"), ("", "Paris"), ("Paris", ""), ("", ""),
    ("The", "an"), ("the the", ""), ("Les Misérables", "les misérables"), ("ÉCOLE", "école"), ("theatre", "the atre"),
    ("rock-n-roll", "rocknroll"), ("«Paris»", "Paris"), ("A\u00a0B", "a b"), ("x_y", "x y"), ("an_the", "an the"),
    ("ΣΑΣ", "σας"), ("two  spaces\there", "two spaces here"), ("the cat sat on the mat", "cat sat mat"),
    ("Thomas Greaves", "Greaves"), ("forty tons of coal", "forty tons"), ("1,000", "1000"), ("naïve café", "naive cafe"),
]

SETS = [
    {"name": "v1", "v2": False, "questions": [
        {"id": "q1", "answers": ["1889"], "prediction": "1889"},
        {"id": "q2", "answers": ["on the Champ de Mars in Paris", "Paris", "Champ de Mars"], "prediction": "Champ de Mars, Paris"},
        {"id": "q3", "answers": ["Victor Hugo"], "prediction": "Hugo"},
        {"id": "q4", "answers": ["forty tons of coal", "forty tons"], "prediction": "a brass band"},
        {"id": "q5", "answers": ["The Greaves"], "prediction": "greaves"},
        {"id": "q6", "answers": ["the"], "prediction": "an"},
    ]},
    {"name": "v2", "v2": True, "questions": [
        {"id": "a1", "answers": ["1889"], "prediction": "1889", "best_non_null": "1889", "null_score_diff": -3.5},
        {"id": "a2", "answers": ["Paris", "in Paris"], "prediction": "", "best_non_null": "Paris", "null_score_diff": 0.75},
        {"id": "a3", "answers": [], "prediction": "", "best_non_null": "the lifts", "null_score_diff": 1.25},
        {"id": "a4", "answers": [], "prediction": "Gustave Eiffel", "best_non_null": "Gustave Eiffel", "null_score_diff": -0.5},
        {"id": "a5", "answers": ["Thomas Greaves"], "prediction": "Greaves", "best_non_null": "Greaves", "null_score_diff": -1.0},
        {"id": "a6", "answers": [], "prediction": "", "best_non_null": "blue", "null_score_diff": 2.0},
        {"id": "a7", "answers": ["the"], "prediction": "", "best_non_null": "the", "null_score_diff": 0.5},
        {"id": "a8", "answers": ["sixty boats"], "prediction": "", "best_non_null": "as many as sixty boats",
         "null_score_diff": 0.25},
    ]},
]


def metrics_golden():
    pairs = []
    for p, g in PAIRS:
        pairs.append({"prediction": p, "gold": g, "normalized_prediction": squad_metrics.normalize_answer(p),
                      "normalized_gold": squad_metrics.normalize_answer(g),
                      "v2_exact": squad_metrics.compute_exact(g, p), "v2_f1": squad_metrics.compute_f1(g, p),
                      "v1_exact": int(v1_exact(p, g)), "v1_f1": v1_f1(p, g)})
        if squad_metrics.normalize_answer(p) and squad_metrics.normalize_answer(g):
            assert pairs[-1]["v1_f1"] == pairs[-1]["v2_f1"] and pairs[-1]["v1_exact"] == pairs[-1]["v2_exact"], (p, g)
    sets = []
    for s in SETS:
        qs = s["questions"]
        if s["v2"]:
            examples = [types.SimpleNamespace(qas_id=q["id"], answers=[{"text": a} for a in q["answers"]]) for q in qs]
            preds = {q["id"]: q["prediction"] for q in qs}
            ev = squad_metrics.squad_evaluate(examples, preds)
            # The best thresholds from the null-score differences: find_all_best_thresh over the best
            # non-null answers (evaluate-v2.0 with --na-prob-file).
            non_null = {q["id"]: q["best_non_null"] for q in qs}
            exact, f1 = squad_metrics.get_raw_scores(examples, non_null)
            na = {q["id"]: q["null_score_diff"] for q in qs}
            has = {q["id"]: bool(q["answers"]) for q in qs}
            best = {}
            squad_metrics.find_all_best_thresh(best, non_null, exact, f1, na, has)
            result = {k: ev[k] for k in ev if not k.startswith("best")}
            result.update(best)
        else:
            em = 100.0 * sum(max(v1_exact(q["prediction"], a) for a in q["answers"]) for q in qs) / len(qs)
            f1 = 100.0 * sum(max(v1_f1(q["prediction"], a) for a in q["answers"]) for q in qs) / len(qs)
            result = {"exact_match": em, "f1": f1}
        sets.append({**s, "result": result})
    return {"pairs": pairs, "sets": sets}


def main():
    assert transformers.__version__ == "4.57.6" and tokenizers.__version__ == "0.22.2", "run in golden/.venv-tf"
    tok = tokenizer()
    producer = f"transformers {transformers.__version__} / tokenizers {tokenizers.__version__}"
    for name, doc in (("features", features_golden(tok)), ("postprocess", postprocess_golden(tok)),
                      ("metrics", metrics_golden())):
        # Compact: the id and logit lists are most of it.
        write_text(OUT / f"{name}.json", json.dumps({"producer": producer, **doc}, sort_keys=True, ensure_ascii=False,
                                                     separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
