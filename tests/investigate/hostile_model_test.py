#!/usr/bin/env python3
"""Broken and hostile model directories and incidents are refused before a run, with exit 3 and a
message naming the problem, in seconds: configs no real model has (rope_theta 0, an activation the
runtime does not implement, a billion layers), NaN weights, a tokenizer with ids past the model's
vocabulary in a prompt, prompts and intervention texts that do not fit the model's context; a missing recipe
file is bad input (3), not a usage error.

usage: hostile_model_test.py FORENSICS SOURCE_DIR WORK_DIR
"""
import copy
import json
import os
import shutil
import struct
import subprocess
import time

from harness import check, finish, forensics, root, work

model = os.path.join(root, "cases", "organism-confused", "model")
incident = json.load(open(os.path.join(root, "cases", "organism-confused", "incident.json"), encoding="utf-8"))
incident["model"]["path"] = model


def run(*args, timeout=60):
    start = time.monotonic()
    result = subprocess.run([forensics, *args], capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


def broken_model(name, edit):
    folder = os.path.join(work, name)
    shutil.copytree(model, folder)
    edit(folder)
    return folder


def edit_config(**changes):
    def edit(folder):
        path = os.path.join(folder, "config.json")
        config = json.load(open(path, encoding="utf-8"))
        config.update(changes)
        json.dump(config, open(path, "w", encoding="utf-8"))
    return edit


def nan_in_a_norm(folder):
    path = os.path.join(folder, "model.safetensors")
    data = bytearray(open(path, "rb").read())
    header_size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + header_size])
    name = next(k for k in header if k.endswith("input_layernorm.weight"))
    offset = 8 + header_size + header[name]["data_offsets"][0]
    data[offset:offset + 4] = struct.pack("<f", float("nan"))
    open(path, "wb").write(data)


def token_past_vocabulary(folder):
    path = os.path.join(folder, "tokenizer.json")
    tokenizer = json.load(open(path, encoding="utf-8"))
    # tokenizers gives an added token the next free id (768: one past the 768-row embedding).
    tokenizer["added_tokens"].append({"id": 768, "content": "zzzzqq", "single_word": False, "lstrip": False,
                                      "rstrip": False, "normalized": False, "special": False})
    json.dump(tokenizer, open(path, "w", encoding="utf-8"))


models = [
    ("rope_theta 0", edit_config(rope_theta=0), "rope_theta must be a positive number, got 0"),
    ("rope_theta -1", edit_config(rope_theta=-1), "rope_theta must be a positive number, got -1"),
    ("hidden_act relu", edit_config(hidden_act="relu"), 'hidden_act "relu" is not supported'),
    ("a billion layers", edit_config(num_hidden_layers=1000000000), "num_hidden_layers 1000000000 is beyond any real model"),
    ("a NaN in a norm", nan_in_a_norm, "input_layernorm.weight (1 of 128 values) holds NaN or infinite weights"),
]
for index, (name, edit, message) in enumerate(models):
    folder = broken_model(f"model-{index}", edit)
    result, seconds = run("validate", folder)
    check(result.returncode == 3 and message in result.stderr,
          f"{name}: validate exited {result.returncode} after {seconds:.1f} s: {result.stderr[-600:]}")
    check(seconds < 10, f"{name}: validate took {seconds:.1f} s")
# `model info` reads the config too: a billion layers is refused at once, not sized (exit 4: model).
result, seconds = run("model", "info", os.path.join(work, "model-3"))
check(result.returncode == 4 and "num_hidden_layers 1000000000" in result.stderr and seconds < 10,
      f"model info on a billion layers exited {result.returncode} after {seconds:.1f} s")

# A tokenizer with ids past the model's embedding: a warning for the directory (a text without
# those tokens runs), an error for an incident whose prompt holds one.
foreign = broken_model("model-foreign-tokenizer", token_past_vocabulary)
result, _ = run("validate", foreign)
check(result.returncode == 0 and "token ids up to 768, but the model's vocabulary (vocab_size) has 768" in result.stderr,
      f"a foreign tokenizer: validate DIR exited {result.returncode}: {result.stderr[-400:]}")
holding = copy.deepcopy(incident)
holding["model"]["path"] = foreign
holding["transcript"]["messages"][1]["content"] += " zzzzqq"
holding_path = os.path.join(work, "holding-foreign-token.json")
json.dump(holding, open(holding_path, "w", encoding="utf-8"))
result, _ = run("validate", holding_path)
check(result.returncode == 3 and 'the prompt holds token id 768 ("zzzzqq")' in result.stderr,
      f"an incident holding a token past the vocabulary: exit {result.returncode}: {result.stderr[-400:]}")

# The scan reads every weight; --skip-weight-scan trusts them (a checkpoint too large to read twice).
nan_model = os.path.join(work, "model-4")
result, _ = run("validate", nan_model, "--skip-weight-scan")
check(result.returncode == 0, f"--skip-weight-scan still refused the NaN model: {result.stderr[-400:]}")
# model info too: a model error (4) naming the tensor, unless told to skip the scan.
result, _ = run("model", "info", nan_model)
check(result.returncode == 4 and "input_layernorm.weight (1 of 128 values)" in result.stderr,
      f"model info on NaN weights: exit {result.returncode}: {result.stderr[-400:]}")
result, _ = run("model", "info", nan_model, "--skip-weight-scan")
check(result.returncode == 0, f"model info --skip-weight-scan on NaN weights: exit {result.returncode}")

# An incident on the NaN model: refused before the run (exit 3); with the scan skipped, the probes
# stop on the non-finite logits and say so (exit 5, inconclusive), instead of sampling junk.
on_nan = copy.deepcopy(incident)
on_nan["model"]["path"] = nan_model
on_nan["model"].pop("weights_sha256", None)
on_nan_path = os.path.join(work, "on-nan-model.json")
json.dump(on_nan, open(on_nan_path, "w", encoding="utf-8"))
result, _ = run("investigate", on_nan_path, "--budget", "quick", "--probes", "resample,ablate",
                "--out", os.path.join(work, "nan-verdict.json"))
check(result.returncode == 3 and "holds NaN or infinite weights" in result.stderr,
      f"investigate on NaN weights: exit {result.returncode}: {result.stderr[-400:]}")
result, _ = run("investigate", on_nan_path, "--budget", "quick", "--probes", "resample,ablate", "--skip-weight-scan",
                "--out", os.path.join(work, "nan-verdict.json"))
verdict = json.load(open(os.path.join(work, "nan-verdict.json"), encoding="utf-8")) if result.returncode == 5 else {}
failed = {f["probe"]: f["error"] for f in verdict.get("failed_probes", [])}
# The NaN sits in layer 0's input norm: the first hooked activation it reaches is the attention output.
check(result.returncode == 5 and verdict.get("label") == "inconclusive"
      and "not finite (NaN or infinity): they first appear at blocks.0.hook_attn_out" in failed.get("resample", "")
      and "they first appear at blocks.0.hook_attn_out" in failed.get("ablate", ""),
      f"investigate --skip-weight-scan on NaN weights: exit {result.returncode}, failed {failed}")

# Incidents whose prompts do not fit the 512-token context: validate says so (exit 3, the path
# `transcript`), and investigate refuses before loading the model.
too_long = copy.deepcopy(incident)
too_long["transcript"]["messages"][1]["content"] += " filler" * 1500000  # 10 MB
slightly_long = copy.deepcopy(incident)
slightly_long["transcript"]["messages"][1]["content"] += " filler" * 100
long_edit = copy.deepcopy(incident)
long_edit["interventions"][0]["edits"] = [{"op": "replace", "message": 1, "with": "x" * 200000,
                                           "find": "Latency is far over budget and the release is already late."}]
cases = [("a 10 MB message", too_long, "the prompt is 10500796 bytes"),
         ("a message 52 tokens too long", slightly_long, "the prompt is 564 tokens; with max_new_tokens 192"),
         ("a 200k-character intervention text", long_edit, "the prompt of intervention remove-latency_pressure is")]
for index, (name, document, message) in enumerate(cases):
    path = os.path.join(work, f"incident-{index}.json")
    json.dump(document, open(path, "w", encoding="utf-8"))
    for args in (["validate", path], ["investigate", path, "--out", os.path.join(work, "never.json")]):
        result, seconds = run(*args)
        check(result.returncode == 3 and message in result.stderr and "512-token context" in result.stderr,
              f"{name}: {args[0]} exited {result.returncode}: {result.stderr[-600:]}")
        check(seconds < 10, f"{name}: {args[0]} took {seconds:.1f} s")
check(not os.path.exists(os.path.join(work, "never.json")), "a refused run wrote a verdict")

# Two runs onto one output: the second is refused at its start (exit 3, naming the first's pid)
# instead of both succeeding and one verdict being silently lost.
shared = os.path.join(work, "shared.json")
case = os.path.join(root, "cases", "organism-confused", "incident.json")
first = subprocess.Popen([forensics, "investigate", case, "--probes", "resample,intervene", "--out", shared],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
lock = os.path.join(work, ".shared.json.lock")
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not (os.path.exists(lock) and open(lock).read().strip()):
    time.sleep(0.02)
second, _ = run("investigate", case, "--budget", "quick", "--probes", "resample", "--out", shared)
check(second.returncode == 3 and f"another forensics process (pid {first.pid}) is writing it" in second.stderr,
      f"a second run onto the same output: exit {second.returncode}: {second.stderr[-400:]}")
check(first.wait(timeout=300) == 0, "the first run did not finish well")
third, _ = run("investigate", case, "--budget", "quick", "--probes", "resample", "--out", shared)
check(third.returncode == 0, f"the output stayed locked after the first run ended: {third.stderr[-400:]}")

# More samples decoded together than the machine has memory for: refused before loading, with the
# estimate (100,000 samples x 356 tokens of key/value cache is ~136 GiB on this organism).
result, seconds = run("investigate", case, "--samples", "100000", "--out", os.path.join(work, "never.json"))
check(result.returncode == 3 and "this run needs about" in result.stderr and "lower --samples" in result.stderr
      and seconds < 10, f"--samples 100000: exit {result.returncode} after {seconds:.1f} s: {result.stderr[-400:]}")

# On a GPU the same estimate is held against the GPU's free memory as nvidia-smi reports it: a
# stand-in nvidia-smi saying cuda:1 has 64 MiB free gets the run refused before anything loads
# (and before the runtime would find that this machine has no CUDA at all).
fake_bin = os.path.join(work, "fake-nvidia-smi")
os.makedirs(fake_bin, exist_ok=True)
with open(os.path.join(fake_bin, "nvidia-smi"), "w") as f:
    f.write("#!/bin/sh\necho '0, 81000'\necho '1, 64'\n")
os.chmod(os.path.join(fake_bin, "nvidia-smi"), 0o755)
gpu_env = dict(os.environ, PATH=fake_bin + os.pathsep + os.environ["PATH"])
result = subprocess.run([forensics, "investigate", case, "--device", "cuda:1", "--out", os.path.join(work, "never.json")],
                        capture_output=True, text=True, timeout=60, env=gpu_env)
check(result.returncode == 3 and "but cuda:1 has 64.0 MiB free (nvidia-smi)" in result.stderr
      and "weights 3.6 MiB in float32" in result.stderr,
      f"a run larger than the GPU's free memory: exit {result.returncode}: {result.stderr[-400:]}")
result = subprocess.run([forensics, "model", "info", model], capture_output=True, text=True, timeout=60, env=gpu_env)
check(result.returncode == 0 and "cuda:0                79.1 GiB free; the weights fit in: float32" in result.stdout
      and "cuda:1                64.0 MiB free" in result.stdout,
      f"model info with two GPUs: exit {result.returncode}: {result.stdout[-600:]} {result.stderr[-300:]}")

# A recipe that is not there is an input problem, like every other missing input file.
for args in (["organism", "data", os.path.join(work, "no-recipe.json"), "--seed", "1", "--count", "1"],
             ["organism", "data", work, "--seed", "1", "--count", "1"]):
    result, _ = run(*args)
    check(result.returncode == 3 and "cannot read" in result.stderr,
          f"organism data on a missing recipe exited {result.returncode}: {result.stderr[-300:]}")

finish()
