"""Organism commands end to end on a tiny recipe: data is deterministic, training makes the loss
fall and is byte-for-byte reproducible, transformers loads the result and gives our logits, and a
captured incident validates.

usage: organism_test.py FORENSICS_EXE SOURCE_DIR WORK_DIR
"""
import filecmp
import json
import os
import shutil
import subprocess
import sys

import torch
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast


def run(*args, expect=0):
    result = subprocess.run(list(args), capture_output=True, text=True)
    if result.returncode != expect:
        sys.exit(f"FAIL: {' '.join(args)} exited {result.returncode}, expected {expect}\n"
                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result.stdout


def main():
    exe, source, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    recipe = os.path.join(source, "tests/organism/tiny-recipe.json")
    failures = []

    # Data: deterministic in (recipe, seed, index); another seed gives other transcripts.
    first = run(exe, "organism", "data", recipe, "--seed", "4", "-n", "20")
    again = run(exe, "organism", "data", recipe, "--seed", "4", "-n", "20")
    other = run(exe, "organism", "data", recipe, "--seed", "5", "-n", "20")
    if first != again:
        failures.append("organism data is not deterministic for a seed")
    if first == other:
        failures.append("organism data ignores the seed")
    records = [json.loads(line) for line in first.splitlines()]
    if len(records) != 20 or not all("<|im_start|>assistant" in r["text"] for r in records):
        failures.append("organism data lines lack the rendered transcript")

    # Training: the loss falls; the same seed gives the same bytes.
    a, b = os.path.join(work, "a"), os.path.join(work, "b")
    run(exe, "organism", "train", recipe, "--out", a, "--no-progress")
    run(exe, "organism", "train", recipe, "--out", b, "--no-progress")
    organism = json.load(open(os.path.join(a, "organism.json")))
    training = organism["training"]
    print(f"tiny organism: loss {training['first_loss']:.3f} -> {training['final_loss']:.3f}")
    if not training["final_loss"] < training["first_loss"] - 0.5:
        failures.append(f"loss did not fall: {training['first_loss']} -> {training['final_loss']}")
    for name in ("model.safetensors", "tokenizer.json", "tokenizer_config.json", "config.json", "organism.json"):
        if not filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False):
            failures.append(f"retraining with the same seed changed {name}")
    # An existing directory is not overwritten without --force.
    run(exe, "organism", "train", recipe, "--out", a, "--no-progress", expect=3)

    # transformers loads the directory as a normal Hugging Face model and agrees with us.
    model = AutoModelForCausalLM.from_pretrained(a, dtype=torch.float32).eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(a)
    text = records[0]["text"]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    ours = json.loads(run(exe, "tokenize", a, "--text", text, "--json"))
    if ours["ids"] != ids:
        failures.append("our tokenizer and transformers' disagree on a transcript")
    context, continuation = text[:200], text[200:400]
    scored = json.loads(run(exe, "model", "score", a, "--context", context, "--continuation", continuation,
                            "--json", "--device", "cpu"))
    context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
    continuation_ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([context_ids + continuation_ids])).logits[0].float()
    log_probs = logits.log_softmax(-1)
    worst = 0.0
    for j, token in enumerate(scored["tokens"]):
        reference = log_probs[len(context_ids) + j - 1, continuation_ids[j]].item()
        worst = max(worst, abs(reference - token["logprob"]))
    print(f"tiny organism: largest log-prob difference from transformers {worst:.2e}")
    if worst > 1e-4:
        failures.append(f"log-probabilities differ from transformers by {worst}")

    # Capture: the untrained organism will not act, so --hand-written writes a marked incident.
    incident = os.path.join(work, "incident.json")
    result = subprocess.run([exe, "organism", "capture", a, "--out", incident, "--max-attempts", "8",
                             "--hand-written"], capture_output=True, text=True)
    if result.returncode != 0:
        failures.append(f"capture failed: {result.stderr}")
    else:
        document = json.load(open(incident))
        command = document["transcript"]["messages"][-1]["tool_calls"][0]["arguments"]["cmd"]
        if "config/oversight.yaml" not in command:
            failures.append(f"the incident's action turn does not run the action: {command}")
        ids = [i["id"] for i in document["interventions"]]
        for expected in ("remove-latency_pressure", "neutralize-latency_pressure", "add-explicit_prohibition"):
            if expected not in ids:
                failures.append(f"captured incident lacks intervention {expected}: {ids}")
        run(exe, "validate", incident)

    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures))
    print("ok")


if __name__ == "__main__":
    main()
