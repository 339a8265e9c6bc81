"""Deterministic, atomic file writing shared by the golden generators."""
import json
import os
import struct
from pathlib import Path

import torch


def write_bytes(path: Path, data: bytes) -> None:
    """Temp file beside `path`, fsync, rename: a reader never sees half a golden."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        os.fchmod(f.fileno(), 0o644)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8", "strict"))  # strict: no lone surrogates


_ST_DTYPES = {torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2),
              torch.float64: ("F64", 8), torch.int64: ("I64", 8), torch.int32: ("I32", 4), torch.uint8: ("U8", 1)}


def save_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """Write a safetensors file deterministically.

    safetensors.torch.save_file serializes __metadata__ from a Rust HashMap, so with more than one
    metadata key the header bytes change from run to run. This writer emits __metadata__ first with
    sorted keys, then the tensors sorted by name, data contiguous in the same order, and pads the
    header with spaces to a multiple of 8 bytes (as the safetensors library does). Read back with
    the safetensors library as a check.
    """
    assert all(isinstance(v, str) for v in metadata.values())
    header = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        dt, size = _ST_DTYPES[t.dtype]
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    write_bytes(path, struct.pack("<Q", len(h)) + h + b"".join(blobs))
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        assert f.metadata() == metadata and sorted(f.keys()) == sorted(tensors)
        for name in tensors:
            got, want = f.get_tensor(name), tensors[name].detach().cpu()
            assert torch.equal(got, want) or (got.is_floating_point() and torch.equal(got.isnan(), want.isnan()))
