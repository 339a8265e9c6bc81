"""next-sentence goldens: BertForNextSentencePrediction on MiniLM (its pooler) under a random NSP head.

transformers has no next-sentence pipeline. bertkit's `run --task next-sentence` prints, per
(A, B) pair, the softmax of `cls.seq_relationship`'s two logits as {"is_next": p[0], "not_next": p[1]}
(label 0 means B continues A, modeling_bert.py). This script records exactly that: the tokenizer on
(A, B) alone (`tokenizer(a, b)`, as the other pipelines tokenize one input), the model's logits,
their softmax.

Saves `fixtures/minilm-heads/next-sentence` (seed 2) and writes `expected/pipelines/next-sentence.json`
with the pairs, token ids, logits and {is_next, not_next}; also the pre-training head's NSP output
(`fixtures/minilm-heads/pre-training`, saved by generate_fill_mask.py: this script rebuilds it from
the same seed and checks it equals the committed file).

    golden/.venv/bin/python golden/generate_next_sentence.py
"""
import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
from pathlib import Path

import torch
from generate_fill_mask import PRE_TRAINING_SEED, versions
from golden_io import write_text
from head_models import HEAD_FIXTURES, head_tensors, minilm_with_head, save_head
from safetensors.torch import load_file

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected" / "pipelines" / "next-sentence.json"
SEED = 2

PAIRS = [
    ("The man went to the store.", "He bought a gallon of milk."),
    ("The man went to the store.", "Penguins are flightless birds."),
    ("Le café était très bon à Zürich.", "Nous y retournerons l'été prochain."),
    ("東京は日本の首都です。", "人口は約千四百万人です。"),
    ("서울은 한국의 수도입니다.", "The weather in Paris is mild."),
    ("Москва — столица России.", "А Αθήνα είναι η πρωτεύουσα της Ελλάδας."),
    (" ".join(["The committee reviewed every proposal in detail before the vote."] * 10), "Then it adjourned."),
]


def run(model, tok, pairs, logits_of):
    rows = []
    for a, b in pairs:
        enc = tok(a, b, return_tensors="pt")
        with torch.no_grad():
            logits = logits_of(model(**enc))[0]
        p = logits.softmax(-1).tolist()
        rows.append({"text": a, "pair": b, "input_ids": enc["input_ids"][0].tolist(), "logits": logits.tolist(),
                     "output": {"is_next": p[0], "not_next": p[1]}})
    return rows


def main() -> None:
    torch.set_num_threads(1)
    model, tok = minilm_with_head("BertForNextSentencePrediction", seed=SEED)
    save_head(model, HEAD_FIXTURES / "next-sentence")
    cases = run(model, tok, PAIRS, lambda o: o.logits)
    # Not a coin toss: the two probabilities differ by more than 2e-4, so a test at 1e-5 catches a swap.
    assert all(abs(c["output"]["is_next"] - 0.5) > 1e-4 for c in cases), [c["output"] for c in cases]

    pt, _ = minilm_with_head("BertForPreTraining", seed=PRE_TRAINING_SEED)
    committed = load_file(str(HEAD_FIXTURES / "pre-training" / "head.safetensors"))
    rebuilt = head_tensors(pt)
    assert sorted(committed) == sorted(rebuilt) and all(torch.equal(committed[k], rebuilt[k]) for k in committed), \
        "the pre-training head differs from fixtures/minilm-heads/pre-training: run generate_fill_mask.py first"
    pre_training = run(pt, tok, PAIRS[:2], lambda o: o.seq_relationship_logits)

    doc = {"versions": versions(), "model": "minilm-heads/next-sentence", "cases": cases,
           "pre_training": {"model": "minilm-heads/pre-training", "cases": pre_training}}
    write_text(OUT, json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
