#!/usr/bin/env python3
"""Teacher-forced scores of `forensics model score` against transformers on one device, in
float32 and in bfloat16: max |log-prob difference| over the continuation's tokens, per model.

float32 must agree within 1e-4 x max(1, largest |logit|), as the C++ parity suite demands on the
CPU. bfloat16 cannot agree that closely (8 mantissa bits; the two sides round at different
places), so it is reported, with one sanity bound: ours in bfloat16 is no further from
transformers in float32 than 3x transformers' own bfloat16 error plus 0.05.

Models without a tokenizer.json (the random reference models) borrow the gpt2-bpe fixture
tokenizer, whose 2,000 tokens they were made for.

usage: device_parity.py FORENSICS_BIN MODEL_DIR... [--device cuda] [--dtypes float32,bfloat16]
                        [--jobs 4] [--json-out FILE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_TOKENIZER = os.path.join(HERE, "..", "fixtures", "tokenizers", "gpt2-bpe")
CONTEXT = "The billing deploy is failing. Please get it green. The monitor blocks the deploy until"
CONTINUATION = (" a reviewer approves it, so I will read config/deploy.yaml, check the latency of the"
                " checks and then run rm -f config/oversight.yaml to unblock the pipeline.")
FLOAT32_TOLERANCE = 1e-4   # x max(1, largest |logit|)
BF16_FACTOR, BF16_SLACK = 3.0, 0.05
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("forensics", help="the forensics binary")
    parser.add_argument("models", nargs="+", help="model directories (config.json + safetensors)")
    parser.add_argument("--device", default="cuda", help="cpu, cuda or cuda:N")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--jobs", type=int, default=4, help="forensics processes at a time")
    parser.add_argument("--json-out", help="write every number here as JSON")
    return parser.parse_args()


def with_tokenizer(model_dir, scratch):
    """`model_dir` itself when it has a tokenizer, else a directory of links to its files plus the
    fixture tokenizer; None when the model's vocabulary does not fit the fixture."""
    if os.path.exists(os.path.join(model_dir, "tokenizer.json")):
        return model_dir
    config = json.load(open(os.path.join(model_dir, "config.json")))
    fixture = Tokenizer.from_file(os.path.join(FIXTURE_TOKENIZER, "tokenizer.json"))
    if fixture.get_vocab_size(with_added_tokens=False) > config.get("vocab_size", 0):
        return None
    linked = os.path.join(scratch, os.path.basename(os.path.normpath(model_dir)))
    os.makedirs(linked)
    for name in os.listdir(model_dir):
        os.symlink(os.path.abspath(os.path.join(model_dir, name)), os.path.join(linked, name))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(FIXTURE_TOKENIZER, name), linked)
    return linked


def ours(binary, model_dir, device, dtype):
    """(token ids, log-probs) of CONTINUATION from `forensics model score --json`."""
    result = subprocess.run([binary, "model", "score", model_dir, "--context", CONTEXT, "--continuation",
                             CONTINUATION, "--device", device, "--dtype", dtype, "--json"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"forensics model score {model_dir} --dtype {dtype} exited {result.returncode}: "
                           f"{result.stderr.strip()[-500:]}")
    tokens = json.loads(result.stdout)["tokens"]
    return [t["id"] for t in tokens], torch.tensor([t["logprob"] for t in tokens], dtype=torch.float64)


def theirs(model_dir, tokenizer_dir, continuation_ids, device, dtype):
    """transformers' log-probs of the same continuation tokens, and its largest |logit|."""
    tokenizer = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    context_ids = tokenizer.encode(CONTEXT, add_special_tokens=False).ids
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=DTYPES[dtype]).to(device).eval()
    ids = torch.tensor([context_ids + continuation_ids], device=device)
    with torch.inference_mode():
        logits = model(ids).logits[0].double()
    log_probs = logits.log_softmax(-1)
    start = len(context_ids) - 1  # position start + j predicts continuation token j
    picked = log_probs[torch.arange(start, start + len(continuation_ids)), torch.tensor(continuation_ids)]
    return picked.cpu(), logits.abs().max().item()


def max_abs(a, b):
    return (a - b).abs().max().item()


def check_model(args, model_dir, tokenizer_dir, scores):
    """Numbers and verdict for one model from our scores {dtype: (ids, log-probs)}."""
    name = os.path.basename(os.path.normpath(model_dir))
    if name == "model":  # cases/<slug>/model
        name = os.path.basename(os.path.dirname(os.path.normpath(model_dir)))
    ids = next(iter(scores.values()))[0]
    expected_ids = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json")).encode(
        CONTINUATION, add_special_tokens=False).ids
    row = {"model": name, "tokens": len(ids), "tokenization_matches": ids == expected_ids, "problems": []}
    reference = {dtype: theirs(model_dir, tokenizer_dir, ids, args.device, dtype) for dtype in scores}
    if "float32" in scores:
        scale = max(1.0, reference["float32"][1])
        row["logit_scale"] = scale
        row["ours_fp32_vs_theirs_fp32"] = max_abs(scores["float32"][1], reference["float32"][0])
        if row["ours_fp32_vs_theirs_fp32"] > FLOAT32_TOLERANCE * scale:
            row["problems"].append(f"float32 differs by {row['ours_fp32_vs_theirs_fp32']:.2e} "
                                   f"> {FLOAT32_TOLERANCE:g} x {scale:.1f}")
    if "bfloat16" in scores:
        row["ours_bf16_vs_theirs_bf16"] = max_abs(scores["bfloat16"][1], reference["bfloat16"][0])
        if "float32" in scores:
            row["ours_bf16_vs_theirs_fp32"] = max_abs(scores["bfloat16"][1], reference["float32"][0])
            row["theirs_bf16_vs_theirs_fp32"] = max_abs(reference["bfloat16"][0], reference["float32"][0])
            bound = BF16_FACTOR * row["theirs_bf16_vs_theirs_fp32"] + BF16_SLACK
            if row["ours_bf16_vs_theirs_fp32"] > bound:
                row["problems"].append(f"bfloat16 is {row['ours_bf16_vs_theirs_fp32']:.3f} from float32, "
                                       f"over {bound:.3f} (3x transformers' own bfloat16 error + {BF16_SLACK})")
    if not row["tokenization_matches"]:
        row["problems"].append("our continuation tokens differ from tokenizers'")
    return row


def print_table(rows):
    columns = [("model", "model", "{}"), ("tokens", "tok", "{}"), ("logit_scale", "|logit|", "{:.1f}"),
               ("ours_fp32_vs_theirs_fp32", "fp32 ours-theirs", "{:.2e}"),
               ("ours_bf16_vs_theirs_bf16", "bf16 ours-theirs", "{:.3f}"),
               ("ours_bf16_vs_theirs_fp32", "ours bf16-theirs fp32", "{:.3f}"),
               ("theirs_bf16_vs_theirs_fp32", "theirs bf16-fp32", "{:.3f}")]
    print(" | ".join(title for _, title, _ in columns) + " | result")
    for row in rows:
        cells = [fmt.format(row[key]) if key in row else "-" for key, _, fmt in columns]
        result = "ok" if not row["problems"] else "FAIL: " + "; ".join(row["problems"])
        print(" | ".join(cells) + " | " + result)


def main():
    args = parse_args()
    dtypes = args.dtypes.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        runnable = []
        for model_dir in args.models:
            tokenizer_dir = with_tokenizer(model_dir, scratch)
            if tokenizer_dir is None:
                rows.append({"model": model_dir, "problems": ["no tokenizer fits its vocabulary"]})
            else:
                runnable.append((model_dir, tokenizer_dir))
        jobs = [(model_dir, tokenizer_dir, dtype) for model_dir, tokenizer_dir in runnable for dtype in dtypes]
        # Each of our runs is a process that initialises the device on its own: run a few at once.
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = {job: pool.submit(ours, args.forensics, job[1], args.device, job[2]) for job in jobs}
        for model_dir, tokenizer_dir in runnable:
            try:
                scores = {dtype: futures[(model_dir, tokenizer_dir, dtype)].result() for dtype in dtypes}
                rows.append(check_model(args, model_dir, tokenizer_dir, scores))
            except Exception as error:  # one broken model must not hide the others' numbers
                rows.append({"model": model_dir, "problems": [str(error)]})
    print(f"device {args.device}, torch {torch.__version__}, context + continuation scored by both sides")
    print_table(rows)
    worst = {key: max((row[key] for row in rows if key in row), default=float("nan"))
             for key in ("ours_fp32_vs_theirs_fp32", "ours_bf16_vs_theirs_bf16", "ours_bf16_vs_theirs_fp32",
                         "theirs_bf16_vs_theirs_fp32")}
    print("max over models: " + ", ".join(f"{key} {value:.3g}" for key, value in worst.items()))
    failed = [row["model"] for row in rows if row["problems"]]
    print(f"device-parity: {'FAIL' if failed else 'PASS'} ({len(rows) - len(failed)}/{len(rows)} models ok)")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"device": args.device, "torch": torch.__version__, "models": rows}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
