"""multiple-choice goldens: BertForMultipleChoice on MiniLM (its pooler) under a random classifier.

transformers has no multiple-choice pipeline. bertkit's `run --task multiple-choice` builds the
inputs as examples/pytorch/multiple-choice/run_swag.py does: the context repeated once per choice
as the first segment, the choice as the second (`f"{stem} {choice}"` when a stem is given, run_swag's
`f"{sent2} {ending}"`), `truncation=True`; the C rows padded to the longest and run as one example
[1, C, S]; the C logits softmaxed. This script records that, per example: the inputs, the token ids
of each row, the logits and the output list [{"choice", "score"}] in input order.

Saves `fixtures/minilm-heads/multiple-choice` (seed 3) and writes `expected/pipelines/multiple-choice.json`.

    golden/.venv/bin/python golden/generate_multiple_choice.py
"""
import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
from pathlib import Path

import torch
from generate_fill_mask import versions
from golden_io import write_text
from head_models import HEAD_FIXTURES, minilm_with_head, save_head

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected" / "pipelines" / "multiple-choice.json"
SEED = 3

EXAMPLES = [
    {"context": "The chef tasted the soup.", "stem": None,
     "choices": ["It needed more salt.", "The car would not start.", "She painted the fence blue."]},
    {"context": "Le café était très bon à Zürich.", "stem": "Ensuite, nous",
     "choices": ["sommes rentrés à l'hôtel.", "avons nagé dans le lac gelé.", "avons oublié nos passeports.", "avons dansé."]},
    {"context": "東京は日本の首都です。", "stem": None, "choices": ["人口が多い。", "海の底にある。"]},
    {"context": "서울은 한국의 수도입니다.", "stem": "The city",
     "choices": ["has a large population.", "is on the moon.", "straße naïve résumé"]},
    {"context": " ".join(["The committee reviewed every proposal in detail before the vote."] * 8),
     "stem": None, "choices": ["Then it adjourned.", "Then the committee, having reviewed every proposal, adjourned for lunch."]},
]


def second(stem, choice):
    return choice if stem is None else f"{stem} {choice}"


def main() -> None:
    torch.set_num_threads(1)
    model, tok = minilm_with_head("BertForMultipleChoice", seed=SEED)
    save_head(model, HEAD_FIXTURES / "multiple-choice")
    cases = []
    for ex in EXAMPLES:
        c = len(ex["choices"])
        enc = tok([ex["context"]] * c, [second(ex["stem"], ch) for ch in ex["choices"]], truncation=True, padding=True,
                  return_tensors="pt")
        with torch.no_grad():
            logits = model(**{k: v.unsqueeze(0) for k, v in enc.items()}).logits[0]  # [1, C, S] in, [1, C] out
        scores = logits.softmax(-1).tolist()
        ids = [row[m.bool()].tolist() for row, m in zip(enc["input_ids"], enc["attention_mask"])]
        cases.append({**ex, "input_ids": ids, "logits": logits.tolist(),
                      "output": [{"choice": ch, "score": s} for ch, s in zip(ex["choices"], scores)]})
        # The choices' scores differ, so a test that mixed up their order would fail at 1e-5.
        assert len({round(s, 4) for s in scores}) == c, scores

    doc = {"versions": versions(), "model": "minilm-heads/multiple-choice", "cases": cases}
    write_text(OUT, json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
