"""The `patch` probe on the confused and intentional organisms.

Checks, per organism (its incident's patch: the planted cue neutralized to text of the same token
length, metric log P(action turn)):
- the counterfactual has equal length, so the map covers every position, and the tokens that differ
  form one `edit` segment holding the planted cue's text;
- in the early layers the residual stream's largest effect (either direction) is on the cue's
  positions, and it is substantial (|normalized effect| >= 0.2): the cue's tokens carry the action;
- the numbers are right (also for the confused organism with metric logprob-difference, which
  scores the action's turn and the alternative's, two continuations of different lengths, and with
  a deletion as counterfactual, whose prompts differ in length and align by shared prefix and suffix): the clean and corrupted metrics, and a sample of cells (the strongest cell of
  every site x layer x direction, plus random ones), recomputed with `transformers` — the reference
  model, its own forward hooks, one full forward pass per patched cell, no KV cache — agree with
  ours (metrics within 1e-3 nats, normalized effects within 2e-3).
- attribution patching (`method: attribution`) on the confused organism: its confirmed cells hold the
  exact map's values.
Usage: patch_test.py <forensics> <source dir> <work dir>. Needs the venv (torch, transformers).
"""
import json
import os
import random
import subprocess
import sys

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

torch.set_grad_enabled(False)


class Reference:
    """A transformers model with TransformerLens-named patch points on its decoder layers."""

    def __init__(self, directory):
        self.model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
        self.layers = self.model.model.layers

    def _module(self, site, layer):
        block = self.layers[layer]
        return {"attn_out": block.self_attn, "mlp_out": block.mlp}[site]

    def run(self, ids, site=None, layer=None, position=None, value=None, record=False):
        """log-probs [T, V] of one sequence; optionally records every site, or writes `value` at
        (site, layer, position)."""
        handles, recorded = [], {}

        def replace(hidden, key):
            if record:
                recorded[key] = hidden[0].detach().clone()
            if key == (site, layer):
                hidden = hidden.clone()
                hidden[0, position] = value
            return hidden

        for index, block in enumerate(self.layers):
            def pre(module, args, kwargs, index=index):
                if args:
                    return (replace(args[0], ("resid_pre", index)), *args[1:]), kwargs
                kwargs = dict(kwargs)
                kwargs["hidden_states"] = replace(kwargs["hidden_states"], ("resid_pre", index))
                return args, kwargs
            handles.append(block.register_forward_pre_hook(pre, with_kwargs=True))
            for name in ("attn_out", "mlp_out"):
                def post(module, args, output, index=index, name=name):
                    if isinstance(output, tuple):
                        return (replace(output[0], (name, index)), *output[1:])
                    return replace(output, (name, index))
                handles.append(self._module(name, index).register_forward_hook(post))
        try:
            logits = self.model(torch.tensor([ids])).logits[0]
        finally:
            for handle in handles:
                handle.remove()
        return logits.double().log_softmax(-1), recorded


def metric_of(reference, prompt, inputs, patch=None, record=False):
    """sum_r weight_r * log P(continuation_r | prompt), and the activations of every row."""
    total, activations = 0.0, []
    for continuation, weight in zip(inputs["continuations"], inputs["weights"]):
        ids = prompt + continuation
        kwargs = {}
        if patch is not None:
            site, layer, position_of_row, value_of_row = patch
            row = len(activations)
            if position_of_row(row) is not None:
                kwargs = dict(site=site, layer=layer, position=position_of_row(row), value=value_of_row(row))
        log_probs, recorded = reference.run(ids, record=record, **kwargs)
        start = len(prompt)
        total += weight * sum(log_probs[start + j - 1, token].item() for j, token in enumerate(continuation))
        activations.append(recorded)
    return total, activations


def check_case(slug, metric=None, intervention=None, method=None):
    case = os.path.join(root, "cases", slug)
    incident_path = os.path.join(case, "incident.json")
    incident = json.load(open(incident_path, encoding="utf-8"))
    variant = metric or intervention or method
    name = slug + (f"-{variant}" if variant else "")
    if variant:
        if metric:
            incident["probes"]["patch"]["metric"] = metric
        if intervention:
            incident["probes"]["patch"]["intervention"] = intervention
        if method:
            incident["probes"]["patch"]["method"] = method
        incident["model"]["path"] = os.path.abspath(os.path.join(case, "model"))
        incident_path = os.path.join(work, name + "-incident.json")
        json.dump(incident, open(incident_path, "w", encoding="utf-8"))
    out = os.path.join(work, name + ".json")
    run = subprocess.run([forensics, "investigate", incident_path, "--probes", "patch",
                          "--out", out], capture_output=True, text=True, timeout=600)
    check(run.returncode == 0, f"{name}: exit {run.returncode}\n{run.stderr[-2000:]}")
    if run.returncode != 0:
        return None
    probe = {p["name"]: p for p in json.load(open(out, encoding="utf-8"))["probes"]}["patch"]
    check(probe["status"] == "ok", f"{name}: patch {probe.get('status')}: {probe.get('error')}")
    if probe["status"] != "ok":
        return None
    results = probe["results"]
    print(f"{name}: {results['intervention']}, metric {results['metric']}: clean {results['clean_metric']:.4f}, "
          f"corrupted {results['corrupted_metric']:.4f}; {results['cells']['patched']} cells patched")

    # The map and its edit segment.
    alignment = results["alignment"]
    if intervention:  # a deletion: only the shared prefix and suffix are in the map
        check(not alignment["equal_length"], f"{name}: a deletion gave equal lengths")
        check(len(results["positions"]) == alignment["shared_prefix"] + alignment["shared_suffix"] +
              alignment["turn_tokens"] - 1, f"{name}: {len(results['positions'])} map positions for {alignment}")
        check(not any(s["kind"] == "edit" for s in results["segments"]), f"{name}: an unaligned edit is in the map")
    else:
        check(alignment["equal_length"], f"{name}: the counterfactual is not equal-length")
    declared = next(i for i in incident["interventions"] if i["id"] == results["intervention"])
    cue = declared["edits"][0]["find"]
    edits = [s for s in results["segments"] if s["kind"] == "edit"]
    check(len(edits) == (0 if intervention else 1), f"{name}: {len(edits)} edit segments")
    if edits:
        check(edits[0]["text"] in cue, f"{name}: edit segment {edits[0]['text']!r} is not inside the cue {cue!r}")
        check(len(edits[0]["text"]) >= len(cue) // 2, f"{name}: edit segment {edits[0]['text']!r} is a small part of the cue")
    early = results["largest_early_effect"]["resid_pre"]
    print(f"  largest early-layer residual effect: {early}")
    if not variant:  # the incident's own configuration
        check(early["on_edit"], f"{name}: the largest early-layer residual effect is off the cue: {early}")
        check(abs(early["effect"]) >= 0.2, f"{name}: the cue's largest early-layer residual effect is only {early['effect']}")

    if method == "attribution":
        return results  # estimates: checked against the exact map by check_attribution

    # The numbers, against transformers.
    reference = Reference(os.path.join(case, "model"))
    inputs = results["inputs"]
    clean, clean_acts = metric_of(reference, inputs["clean_prompt"], inputs, record=True)
    corrupted, corrupted_acts = metric_of(reference, inputs["corrupted_prompt"], inputs, record=True)
    check(abs(clean - results["clean_metric"]) < 1e-3, f"{name}: clean metric {results['clean_metric']} vs transformers {clean}")
    check(abs(corrupted - results["corrupted_metric"]) < 1e-3,
          f"{name}: corrupted metric {results['corrupted_metric']} vs transformers {corrupted}")
    gap = clean - corrupted
    positions = results["positions"]
    prompt_lengths = {"clean": len(inputs["clean_prompt"]), "corrupted": len(inputs["corrupted_prompt"])}

    cells = set()
    for direction, sites in results["strongest"].items():
        for site, per_layer in sites.items():
            for cell in per_layer:
                cells.add((direction, site, cell["layer"], cell["position"]))
    rng = random.Random(7)
    edit_first = edits[0]["positions"][0] if edits else alignment["shared_prefix"] - 1
    while len(cells) < len(results["strongest"]) * 12 + 24:
        cells.add((rng.choice(list(results["maps"])), rng.choice(results["sites"]), rng.randrange(results["layers"]),
                   rng.randrange(edit_first, len(positions))))
    worst = 0.0
    for direction, site, layer, index in sorted(cells):
        target, source = ("corrupted", "clean") if direction == "denoising" else ("clean", "corrupted")
        source_acts = clean_acts if source == "clean" else corrupted_acts
        row_info = positions[index]

        def position_in(run, row, row_info=row_info):
            if "turn_token" in row_info:
                if row_info["turn_token"] >= len(inputs["continuations"][row]):
                    return None
                return prompt_lengths[run] + row_info["turn_token"]
            return row_info[run]

        patch = (site, layer, lambda row: position_in(target, row),
                 lambda row: source_acts[row][(site, layer)][position_in(source, row)])
        patched, _ = metric_of(reference, inputs[target + "_prompt"], inputs, patch=patch)
        expected = (patched - (corrupted if direction == "denoising" else clean)) / gap
        ours = results["maps"][direction][site][layer][index]
        worst = max(worst, abs(expected - ours))
        check(abs(expected - ours) < 2e-3,
              f"{name}: {direction} {site} layer {layer} position {index}: ours {ours}, transformers {expected:.5f}")
    print(f"  {len(cells)} cells recomputed with transformers; largest difference {worst:.2e}")
    return results


def check_attribution(exact):
    """Attribution patching on the confused organism: its confirmed cells are patched exactly, and
    agree with the exact map; the map holds those exact values."""
    results = check_case("organism-confused", method="attribution")
    if not results or not exact:
        return
    check(results["method"] == "attribution", f"attribution run reports method {results['method']}")
    confirmed = results["confirmed"]
    check(16 <= len(confirmed) <= 64, f"{len(confirmed)} confirmed cells")
    gaps = []
    for row in confirmed:
        want = exact["maps"][row["direction"]][row["site"]][row["layer"]][row["position"]]
        check(abs(row["exact"] - want) < 2e-3, f"confirmed {row}: the exact map says {want}")
        check(results["maps"][row["direction"]][row["site"]][row["layer"]][row["position"]] == row["exact"],
              f"confirmed {row}: the attribution map does not hold the exact value")
        gaps.append(abs(row["estimate"] - row["exact"]))
    gaps.sort()
    print(f"  attribution: {len(confirmed)} cells confirmed exactly; |estimate - exact| median {gaps[len(gaps) // 2]:.3f}, "
          f"max {gaps[-1]:.3f} (first-order estimates miss saturated cells)")


exact_confused = None
for slug in ("organism-confused", "organism-intentional"):
    outcome = check_case(slug)
    if slug == "organism-confused":
        exact_confused = outcome
check_attribution(exact_confused)
check_case("organism-confused", metric="logprob-difference")
check_case("organism-confused", intervention="remove-latency_pressure")
finish()
