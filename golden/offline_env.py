"""Import before transformers / huggingface_hub: they read these at import time.

Keeps the golden scripts offline (the hub is unreachable, and a golden must not depend on it),
quiet and single-process in the tokenizer, so runs are reproducible.
"""
import os

for key, value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
}.items():
    os.environ.setdefault(key, value)
