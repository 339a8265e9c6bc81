#!/usr/bin/env python3
"""Checkpoint-format fixtures for bertkit: the committed tiny models re-exported in every layout
people actually have, plus small broken files for the readers' refusal tests.

    golden/.venv/bin/python golden/generate_formats.py          # everything (runs the Keras part
                                                                # in golden/.venv-tf, see below)
    golden/.venv/bin/python golden/generate_formats.py --skip-keras

The sources are golden/fixtures/tiny-cls and tiny-bert (written by golden/generate.py); every
fixture here holds exactly their tensors, so a reader is right when it loads them bit for bit.
Outputs go to golden/fixtures/formats/ (see formats/hdf5.md and formats/pytorch-bin.md):

  tiny-cls-bin/pytorch_model.bin        torch.save(state_dict), as transformers' save_pretrained
  tiny-cls-bin-views/pytorch_model.bin  query/key/value as views of one fused storage (non-zero
                                        storage offsets) and intermediate.dense.weight as a
                                        transposed (non-contiguous) view
  tiny-cls-bin-f16/, tiny-cls-bin-bf16/ the F16 / BF16 safetensors originals via torch.save
  tiny-cls-h5-flat/model.h5             h5py, one dataset per state_dict key at the root
  tiny-cls-h5-nested/model.h5           h5py, the same keys split at the dots into groups
  tiny-cls-h5-f16/model.h5              h5py, numpy float16
  tiny-cls-h5-bf16/model.h5             h5py, bf16 as numpy has it: 2-byte opaque (ml_dtypes / 'V2')
  tiny-cls-h5-bf16-float/model.h5       bf16 as a 2-byte HDF5 float type (HDF5 2.0's BFLOAT16 layout)
  tiny-cls-keras/tf_model.h5            TFBertForSequenceClassification.save_pretrained (transformers 4.x)
  tiny-bert-bin/pytorch_model.bin       BertModel names (no "bert." prefix)
  tiny-bert-keras/tf_model.h5           TFBertModel.save_pretrained
  tiny-bert-pretraining-bin/            BertForPreTraining with TF-era names: LayerNorm.gamma/beta,
                                        cls.* heads, cls.predictions.decoder.weight sharing the word
                                        embeddings' storage
  broken/*                              one defect each (see BROKEN below)

Reruns give byte-identical files except broken/legacy.bin (torch's legacy writer keys storages by
memory address) and broken/virtual-dataset.h5 (h5py stamps its creation time).

Each model folder also carries the source's config.json and tokenizer files, so it is a complete
HuggingFace folder. transformers 5 dropped TensorFlow: the Keras files come from a separate pinned
environment, golden/requirements-tf.txt, in golden/.venv-tf:

    python3 -m venv golden/.venv-tf && golden/.venv-tf/bin/pip install -r golden/requirements-tf.txt

transformers' PyTorch-to-TF loader takes the safetensors as numpy arrays (no torch needed there);
kernels are the exact transposes of the Linear weights, so the Keras files hold the same bits.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
OUT = FIXTURES / "formats"
FOLDER_FILES = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]
TF_PYTHON = HERE / ".venv-tf" / "bin" / "python"


def load(model: str, variant: str = "model"):
    from safetensors.torch import load_file
    return load_file(str(FIXTURES / model / f"{variant}.safetensors"))


def folder(name: str, source: str, config_edit=None) -> Path:
    """A fresh output folder with the source model's config and tokenizer files."""
    d = OUT / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for f in FOLDER_FILES:
        src = FIXTURES / source / f
        if src.exists():
            shutil.copyfile(src, d / f)
    if config_edit:
        c = json.loads((d / "config.json").read_text())
        config_edit(c)
        (d / "config.json").write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
    return d


# ---------------------------------------------------------------------------------------------
# PyTorch .bin
# ---------------------------------------------------------------------------------------------

def save_bin(state: dict, path: Path) -> None:
    import torch
    from collections import OrderedDict
    torch.save(OrderedDict(state), str(path))


def views_state(sd: dict) -> dict:
    """The same values, but q/k/v of every layer live in one fused storage (offsets 0, h·h, 2·h·h)
    and intermediate.dense.weight is the transpose of a [in, out] storage (strides (1, out))."""
    import torch
    out = dict(sd)
    layers = sorted({k.split(".encoder.layer.")[1].split(".")[0] for k in sd if ".encoder.layer." in k}, key=int)
    for i in layers:
        p = f"bert.encoder.layer.{i}."
        qkv = torch.cat([sd[p + f"attention.self.{m}.weight"] for m in ("query", "key", "value")]).contiguous()
        h = qkv.shape[1]
        for j, m in enumerate(("query", "key", "value")):
            out[p + f"attention.self.{m}.weight"] = qkv[j * h:(j + 1) * h]
        w = sd[p + "intermediate.dense.weight"]
        out[p + "intermediate.dense.weight"] = w.t().contiguous().t()
        assert not out[p + "intermediate.dense.weight"].is_contiguous()
    return out


def pretraining_state(sd: dict) -> dict:
    """BertForPreTraining with TF-era names, from a BertModel state dict."""
    import torch
    g = torch.Generator().manual_seed(1234)
    out = {}
    for k, v in sd.items():
        k = "bert." + k
        if k.endswith("LayerNorm.weight"):
            k = k[: -len("weight")] + "gamma"
        elif k.endswith("LayerNorm.bias"):
            k = k[: -len("bias")] + "beta"
        out[k] = v
    word = out["bert.embeddings.word_embeddings.weight"]
    h, vocab = word.shape[1], word.shape[0]
    out["cls.predictions.bias"] = torch.randn(vocab, generator=g)
    out["cls.predictions.transform.dense.weight"] = torch.randn(h, h, generator=g)
    out["cls.predictions.transform.dense.bias"] = torch.randn(h, generator=g)
    out["cls.predictions.transform.LayerNorm.gamma"] = torch.ones(h)
    out["cls.predictions.transform.LayerNorm.beta"] = torch.zeros(h)
    out["cls.predictions.decoder.weight"] = word  # tied: the same storage
    out["cls.seq_relationship.weight"] = torch.randn(2, h, generator=g)
    out["cls.seq_relationship.bias"] = torch.randn(2, generator=g)
    return out


# ---------------------------------------------------------------------------------------------
# h5py
# ---------------------------------------------------------------------------------------------

def bf16_float_type():
    """A 2-byte HDF5 float with bfloat16's layout (HDF5 2.0 predefines it as H5T_FLOAT_BFLOAT16LE)."""
    import h5py
    t = h5py.h5t.IEEE_F32LE.copy()
    t.set_fields(15, 7, 8, 0, 7)
    t.set_offset(0)
    t.set_precision(16)
    t.set_size(2)
    t.set_ebias(127)
    return t


def save_h5(state: dict, path: Path, nested: bool = False, bf16: str = "opaque") -> None:
    import h5py
    import numpy as np
    import torch
    with h5py.File(path, "w", track_order=True) as f:
        for k, v in state.items():
            name = k.replace(".", "/") if nested else k
            if v.dtype == torch.bfloat16:
                raw = v.contiguous().view(torch.int16).numpy()
                if bf16 == "opaque":  # what h5py writes for an ml_dtypes.bfloat16 array
                    f.create_dataset(name, data=raw.view("V2"), track_times=False)
                else:
                    space = h5py.h5s.create_simple(raw.shape) if raw.ndim else h5py.h5s.create(h5py.h5s.SCALAR)
                    t = bf16_float_type()
                    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                    dcpl.set_obj_track_times(False)  # no timestamps: reruns give the same bytes
                    d = h5py.h5d.create(f.id, name.encode(), t, space, dcpl=dcpl)
                    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(raw), mtype=t)
            else:
                f.create_dataset(name, data=v.numpy(), track_times=False)


# ---------------------------------------------------------------------------------------------
# Broken files, one defect each; the readers' tests expect each refusal to name the item.
# ---------------------------------------------------------------------------------------------

def broken() -> None:
    import h5py
    import numpy as np
    import torch
    d = OUT / "broken"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    ok = np.arange(4, dtype=np.float32)

    with h5py.File(d / "external-link.h5", "w") as f:
        f.create_dataset("embeddings.LayerNorm.weight", data=ok, track_times=False)
        f["embeddings.LayerNorm.bias"] = h5py.ExternalLink("/etc/elsewhere.h5", "/secret")

    with h5py.File(d / "soft-link.h5", "w") as f:
        f.create_dataset("embeddings.LayerNorm.weight", data=ok, track_times=False)
        f["embeddings.LayerNorm.bias"] = h5py.SoftLink("/embeddings.LayerNorm.weight")

    with h5py.File(d / "virtual-dataset.h5", "w") as f:
        layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
        layout[:] = h5py.VirtualSource("elsewhere.h5", "data", shape=(4,))
        f.create_virtual_dataset("embeddings.LayerNorm.weight", layout, fillvalue=0)

    with h5py.File(d / "external-storage.h5", "w") as f:
        f.create_dataset("embeddings.LayerNorm.weight", shape=(4,), dtype="f4", external=[("elsewhere.raw", 0, 16)])

    with h5py.File(d / "absurd-shape.h5", "w") as f:
        # 2^48 float32 (1 PiB) declared; nothing stored: a reader that trusts the shape allocates it.
        f.create_dataset("embeddings.word_embeddings.weight", shape=(1 << 24, 1 << 24), dtype="f4", chunks=(1, 1024),
                         track_times=False)

    with h5py.File(d / "lzf-filter.h5", "w") as f:  # zeros, so that LZF really compresses the chunk
        f.create_dataset("embeddings.LayerNorm.weight", data=np.zeros(4096, dtype=np.float32), compression="lzf", track_times=False)

    with h5py.File(d / "hard-link-cycle.h5", "w") as f:
        g = f.create_group("bert")
        g.create_dataset("weight", data=ok, track_times=False)
        g["loop"] = g  # a hard link from the group to itself

    with h5py.File(d / "null-dataspace.h5", "w") as f:
        f.create_dataset("embeddings.LayerNorm.weight", data=h5py.Empty("f4"), track_times=False)

    with h5py.File(d / "duplicate-name.h5", "w") as f:
        f.create_dataset("embeddings.LayerNorm.weight", data=ok, track_times=False)
        f.create_dataset("embeddings/LayerNorm/weight", data=ok, track_times=False)

    with h5py.File(d / "keras-missing-weight-names.h5", "w") as f:
        f.attrs["layer_names"] = np.array([b"bert"], dtype="S4")
        g = f.create_group("bert")
        g.create_dataset("tf_bert_model/bert/embeddings/LayerNorm/gamma:0", data=ok, track_times=False)

    with h5py.File(d / "keras-missing-layer.h5", "w") as f:
        f.attrs["layer_names"] = np.array([b"bert"], dtype="S4")

    # torch < 1.6's bare-pickle format.
    torch.save({"embeddings.LayerNorm.weight": torch.arange(4.0)}, str(d / "legacy.bin"),
               _use_new_zipfile_serialization=False)


# ---------------------------------------------------------------------------------------------
# Keras (runs inside golden/.venv-tf)
# ---------------------------------------------------------------------------------------------

def keras_part() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers
    from safetensors.numpy import load_file
    from transformers import BertConfig, TFBertForSequenceClassification, TFBertModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model
    for source, cls, name in [("tiny-cls", TFBertForSequenceClassification, "tiny-cls-keras"),
                              ("tiny-bert", TFBertModel, "tiny-bert-keras")]:
        d = folder(name, source)
        model = cls(BertConfig.from_pretrained(FIXTURES / source))
        model.build_in_name_scope()
        # transformers' own PyTorch -> TF loader: renames, transposes Linear weights into kernels.
        # (from_pretrained on the safetensors folder fails with safetensors 0.6: safe_open is not iterable.)
        state = load_file(str(FIXTURES / source / "model.safetensors"))
        _, info = load_pytorch_state_dict_in_tf2_model(model, state, tf_inputs=False, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            shutil.copyfile(Path(tmp) / "tf_model.h5", d / "tf_model.h5")
        print(f"wrote {d / 'tf_model.h5'} with transformers {transformers.__version__}")


# ---------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-keras", action="store_true")
    ap.add_argument("--keras-only", action="store_true", help="(used inside golden/.venv-tf)")
    args = ap.parse_args()
    if args.keras_only:
        keras_part()
        return

    import torch
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)

    cls, cls16, clsb16 = load("tiny-cls"), load("tiny-cls", "model-f16"), load("tiny-cls", "model-bf16")
    base = load("tiny-bert")

    save_bin(cls, folder("tiny-cls-bin", "tiny-cls") / "pytorch_model.bin")
    save_bin(views_state(cls), folder("tiny-cls-bin-views", "tiny-cls") / "pytorch_model.bin")
    save_bin(cls16, folder("tiny-cls-bin-f16", "tiny-cls") / "pytorch_model.bin")
    save_bin(clsb16, folder("tiny-cls-bin-bf16", "tiny-cls") / "pytorch_model.bin")
    save_h5(cls, folder("tiny-cls-h5-flat", "tiny-cls") / "model.h5")
    save_h5(cls, folder("tiny-cls-h5-nested", "tiny-cls") / "model.h5", nested=True)
    save_h5(cls16, folder("tiny-cls-h5-f16", "tiny-cls") / "model.h5")
    save_h5(clsb16, folder("tiny-cls-h5-bf16", "tiny-cls") / "model.h5", bf16="opaque")
    save_h5(clsb16, folder("tiny-cls-h5-bf16-float", "tiny-cls") / "model.h5", bf16="float")
    save_bin(base, folder("tiny-bert-bin", "tiny-bert") / "pytorch_model.bin")

    def as_pretraining(c):
        c["architectures"] = ["BertForPreTraining"]
    save_bin(pretraining_state(base), folder("tiny-bert-pretraining-bin", "tiny-bert", as_pretraining) / "pytorch_model.bin")
    broken()

    if not args.skip_keras:
        if not TF_PYTHON.exists():
            sys.exit(f"{TF_PYTHON} is missing: make it with\n  python3 -m venv golden/.venv-tf && "
                     "golden/.venv-tf/bin/pip install -r golden/requirements-tf.txt\n(or pass --skip-keras)")
        subprocess.run([str(TF_PYTHON), __file__, "--keras-only"], check=True)

    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"golden/fixtures/formats: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
