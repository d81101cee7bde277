#!/usr/bin/env python3
"""Seed inputs for the fuzz targets that no fixture file serves as is (scripts/fuzz.sh): recipes
with their environment inlined (the recipe target reads both from one document), and small
safetensors files (the shipped models are megabytes; libFuzzer mutates small inputs faster).

usage: scripts/fuzz_seeds.py CORPUS_ROOT
"""
import json
import os
import struct
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
corpus = Path(sys.argv[1])


def write(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


for recipe_path in sorted((root / "recipes").glob("*/*.json")):
    recipe = json.loads(recipe_path.read_text())
    if isinstance(recipe.get("environment"), str):
        environment = recipe_path.parent / recipe["environment"]
        recipe["environment"] = json.loads(environment.read_text())
        write("recipe", recipe_path.stem, json.dumps(recipe).encode())


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


write("safetensors", "two-tensors", safetensors({
    "embed.weight": ("F32", [2, 3], struct.pack("<6f", *range(6))),
    "norm.weight": ("BF16", [4], b"\x80\x3f" * 4)}, {"format": "pt"}))
write("safetensors", "empty-tensor", safetensors({"x": ("F16", [0], b"")}))
write("safetensors", "ints", safetensors({"ids": ("I64", [2], struct.pack("<2q", 1, 2)), "b": ("BOOL", [1], b"\x01")}))
