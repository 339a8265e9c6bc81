"""NER goldens: run_ner.py's sub-word labels, and a bertkit-fine-tuned NER model as transformers reads it.

    swift build && golden/.venv/bin/python golden/generate_ner_training.py .build/debug/bertkit

Writes:
- `expected/ner/alignment.json`: run_ner.py's `tokenize_and_align_labels`, re-derived: MiniLM's tokenizer
  (`AutoTokenizer`, the Rust one) on each sentence's words with `is_split_into_words=True`,
  `truncation=True`, `max_length` in MAX_LENGTHS; each token's label is -100 for [CLS]/[SEP], the word's
  label on its first sub-token, and on the others -100, or with `label_all_tokens` the word's label with
  B-X turned into I-X (`b_to_i_label`). The labels are train.conll's tags, sorted (`get_label_list`).
  Sentences: the first 12 of golden/data/ner/test.conll and HAND (words that split into sub-words).
- `fixtures/ner-finetuned/`: the HF folder `bertkit finetune` writes for FINETUNE (tiny-bert, 8 steps of
  golden/data/ner/train.conll, dropout off).
- `expected/ner/export.json`: `BertForTokenClassification.from_pretrained` (transformers 5.23, eager,
  float32) of that folder: its loading info (missing/unexpected/mismatched keys), and its logits [B, S, labels]
  on the first 16 test sentences (the folder's own tokenizer, is_split_into_words, truncation to 32,
  padded), with the input ids and attention mask; parameters copied to fresh memory first (see
  check_exports.py: torch's CPU matmul sums differently at some alignments).
"""
import offline_env  # noqa: F401

import json
import shutil
import subprocess
import sys
from pathlib import Path

import torch
import transformers
from transformers import AutoTokenizer, BertForTokenClassification

from golden_io import write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MINILM = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"
DATA = HERE / "data" / "ner"
OUT = HERE / "expected" / "ner"
FIXTURE = HERE / "fixtures" / "ner-finetuned"
MAX_LENGTHS = (12, 128)
HAND = [
    (["Kwame", "Mensah", "visited", "Zürich", "and", "Thessaloniki", "."], ["B-PER", "I-PER", "O", "B-LOC", "O", "B-LOC", "O"]),
    (["Okafor-Haddad", "joined", "Crestwood", "Insurance", "'s", "board"], ["B-PER", "O", "B-ORG", "I-ORG", "O", "O"]),
    (["naïve", "\u00a0", "Schmidt"], ["O", "O", "B-PER"]),
]
FINETUNE = ["finetune", "golden/fixtures/tiny-bert", "--task", "token-classification", "--train", "golden/data/ner/train.conll",
            "--steps", "8", "--batch-size", "8", "--max-length", "32", "--lr", "1e-2", "--seed", "1", "--no-dropout",
            "--report-every", "8"]


def read_conll(path: Path) -> list:
    sentences, words, tags = [], [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        words.append(fields[0])
        tags.append(fields[-1])
    if words:
        sentences.append((words, tags))
    return sentences


def align(tokenizer, words, tags, labels, max_length, label_all_tokens):
    label_to_id = {l: i for i, l in enumerate(labels)}
    b_to_i = [labels.index(l.replace("B-", "I-")) if l.startswith("B-") and l.replace("B-", "I-") in labels else i
              for i, l in enumerate(labels)]
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    out, prev = [], None
    for w in enc.word_ids():
        if w is None:
            out.append(-100)
        elif w != prev:
            out.append(label_to_id[tags[w]])
        else:
            out.append(b_to_i[label_to_id[tags[w]]] if label_all_tokens else -100)
        prev = w
    return enc["input_ids"], out


def main() -> None:
    assert transformers.__version__ == "5.23.0", transformers.__version__
    bertkit = sys.argv[1]
    train, test = read_conll(DATA / "train.conll"), read_conll(DATA / "test.conll")
    labels = sorted({t for _, tags in train for t in tags})
    tok = AutoTokenizer.from_pretrained(str(MINILM))
    cases = []
    for words, tags in test[:12] + HAND:
        for m in MAX_LENGTHS:
            ids, first = align(tok, words, tags, labels, m, False)
            ids2, every = align(tok, words, tags, labels, m, True)
            assert ids == ids2
            cases.append({"words": words, "tags": tags, "max_length": m, "input_ids": ids, "labels": first,
                          "labels_all_tokens": every})
    # The hand-made words do split, and truncation cuts words off, so both rules are exercised.
    assert any(a != b for c in cases for a, b in zip(c["labels"], c["labels_all_tokens"]))
    assert any(len(c["input_ids"]) == 12 and c["max_length"] == 12 for c in cases)
    write_text(OUT / "alignment.json", json.dumps({"labels": labels, "cases": cases}, sort_keys=True, ensure_ascii=False, indent=1) + "\n")

    if FIXTURE.exists():
        shutil.rmtree(FIXTURE)
    subprocess.run([bertkit] + FINETUNE + ["-o", str(FIXTURE)], check=True, capture_output=True, cwd=REPO)
    (FIXTURE / "optimizer.safetensors").unlink()
    model, info = BertForTokenClassification.from_pretrained(str(FIXTURE), attn_implementation="eager", dtype=torch.float32,
                                                             output_loading_info=True)
    model.eval()
    ftok = AutoTokenizer.from_pretrained(str(FIXTURE))
    enc = ftok([w for w, _ in test[:16]], is_split_into_words=True, truncation=True, max_length=32, padding=True,
               return_tensors="pt")
    with torch.no_grad():
        for p in model.parameters():
            p.data = p.data.clone()
        logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
    record = {
        "command": " ".join(FINETUNE),
        "id2label": [model.config.id2label[i] for i in range(model.config.num_labels)],
        "missing_keys": sorted(info["missing_keys"]), "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": sorted(str(k) for k in info["mismatched_keys"]),
        "input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
        "logits": [[[float(x) for x in tok_row] for tok_row in row] for row in logits.tolist()],
    }
    write_text(OUT / "export.json", json.dumps(record, sort_keys=True) + "\n")
    print(f"wrote {OUT}/alignment.json ({len(cases)} cases), {FIXTURE}, {OUT}/export.json")


if __name__ == "__main__":
    main()
