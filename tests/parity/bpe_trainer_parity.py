"""Parity of tokenizers trained by our byte-level BPE trainer with Hugging Face `tokenizers`.

A varied corpus (ChatML transcripts, ASCII, accents, CJK, emoji, combining marks, digits,
whitespace runs, special tokens and near-misses of them) is generated here with a fixed seed;
the hidden [bpe-parity] case of our unit-test binary trains on it (once with Qwen2's
pre-tokenizer pattern, once with GPT-2's), writes tokenizer.json and encodes every probe line.
The reference library then loads that file at test time and encodes the same probes: ids must be
equal token for token, and both decodes must equal the reference's and round-trip the probe.
transformers' PreTrainedTokenizerFast must load the file and agree too.

usage: bpe_trainer_parity.py UNIT_TEST_BINARY WORK_DIR [EXTRA_PROBES_FILE]
"""
import json
import os
import random
import subprocess
import sys

from tokenizers import Tokenizer
from transformers import PreTrainedTokenizerFast

MAX_REPORTS = 10
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
NON_SPECIAL = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>",
               "</tool_response>"]

WORDS = ["the", "model", "assistant", "user", "weather", "report", "Paris", "revenue", "grew",
         "don't", "I'll", "we've", "SHOUTING", "camelCase", "snake_case", "e-mail", "naïve",
         "café", "Straße", "größer", "déjà", "vu", "São", "Paulo", "Ελληνικά", "русский", "язык",
         "日本語", "の", "文章", "中文", "한국어", "العربية", "עברית", "हिन्दी", "ไทย", "👩‍💻", "🎉",
         "🇫🇷", "e\u0301", "a\u0308", "x²", "½", "Ⅻ", "٣", "१२३", "$", "€", "%", "->", "=>", "...",
         "—", "«", "»", "\"quoted\"", "(paren)", "[x]", "{y}", "#tag", "@name",
         "http://x.org/a?b=1"]
SPACES = [" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\u00a0", "\u3000",
          "\u2028", "\u200b", "\t \t"]


def random_text(rng, n_words):
    pieces = []
    for _ in range(n_words):
        kind = rng.random()
        if kind < 0.7:
            pieces.append(rng.choice(WORDS))
        elif kind < 0.85:
            pieces.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
        elif kind < 0.93:
            pieces.append(rng.choice(SPECIAL + NON_SPECIAL))
        else:
            # Near-misses: added tokens must match exactly, pieces of them are plain text.
            token = rng.choice(SPECIAL + NON_SPECIAL)
            cut = rng.randint(1, len(token) - 1)
            pieces.append(token[:cut] if rng.random() < 0.5 else token[cut:])
        pieces.append(rng.choice(SPACES) if rng.random() < 0.4 else " ")
    return "".join(pieces)


def transcript(rng):
    turns = [f"<|im_start|>system\nYou are a helpful assistant. Today is 2026-0{rng.randint(1, 9)}"
             f"-{rng.randint(10, 28)}.<|im_end|>\n"]
    for _ in range(rng.randint(1, 3)):
        turns.append(f"<|im_start|>user\n{random_text(rng, rng.randint(3, 20))}<|im_end|>\n")
        answer = f"<think>\n{random_text(rng, rng.randint(2, 12))}\n</think>\n\n"
        if rng.random() < 0.3:
            answer += ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "'
                       + rng.choice(["Paris", "São Paulo", "東京"]) + '"}}\n</tool_call>'
                       "<|im_end|>\n<|im_start|>user\n<tool_response>\n{\"temp_c\": "
                       + str(rng.randint(-20, 40)) + "}\n</tool_response><|im_end|>\n"
                       "<|im_start|>assistant\n")
        answer += random_text(rng, rng.randint(5, 30))
        turns.append(f"<|im_start|>assistant\n{answer}<|im_end|>\n")
    return "".join(turns) + "<|endoftext|>"


def make_input(extra_probes, pattern, vocab_size):
    rng = random.Random(20260127)
    documents = [transcript(rng) for _ in range(400)]
    documents += [random_text(rng, rng.randint(1, 40)) for _ in range(200)]
    probes = [transcript(rng) for _ in range(50)] + [random_text(rng, 30) for _ in range(200)]
    probes += ["", " ", "\n", "   \n\n\t", "<|im_start|>", "<|im_start|><|im_end|>",
               "<|im_start|<|im_end|>>", "<think></think>", "a<think>b", "12345678901234567890",
               "\u00ff\u0100\u0101 byte-level look-alikes \u0120\u010a", "x" * 300]
    probes += extra_probes
    added = [{"content": t, "special": True} for t in SPECIAL]
    added += [{"content": t, "special": False} for t in NON_SPECIAL]
    return {"options": {"vocab_size": vocab_size, "min_frequency": 2, "added_tokens": added,
                        "pattern": pattern},
            "documents": documents, "probes": probes}


def show_difference(reference, ours):
    """The two strings around their first differing character."""
    first = next((i for i, (a, b) in enumerate(zip(reference, ours)) if a != b),
                 min(len(reference), len(ours)))
    start = max(0, first - 40)
    return (f"first difference at character {first}: reference "
            f"{reference[start:first + 40]!r}, ours {ours[start:first + 40]!r}")


def train_and_compare(binary, work_dir, data):
    """Runs the driver on `data` in `work_dir`; returns the failures, each a readable report."""
    os.makedirs(work_dir, exist_ok=True)
    with open(os.path.join(work_dir, "input.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    result = subprocess.run([binary, "[bpe-parity]"], capture_output=True, check=False,
                            env={**os.environ, "FORENSICS_BPE_PARITY_DIR": work_dir})
    if result.returncode != 0:
        return [f"the [bpe-parity] driver failed ({result.returncode}):\n"
                f"{result.stdout.decode()}\n{result.stderr.decode()}"]
    tokenizer_path = os.path.join(work_dir, "tokenizer.json")
    with open(os.path.join(work_dir, "ours.json"), encoding="utf-8") as f:
        ours = json.load(f)

    reference = Tokenizer.from_file(tokenizer_path)
    vocab_size = data["options"]["vocab_size"]
    failures = []
    if reference.get_vocab_size(with_added_tokens=True) != vocab_size:
        failures.append(f"reference vocab size {reference.get_vocab_size(True)}, "
                        f"expected {vocab_size}")
    for expected_id, token in enumerate(data["options"]["added_tokens"]):
        if reference.token_to_id(token["content"]) != expected_id:
            failures.append(f"added token {token['content']!r} has reference id "
                            f"{reference.token_to_id(token['content'])}, expected {expected_id}")
    for probe, our in zip(data["probes"], ours, strict=True):
        ref_ids = reference.encode(probe, add_special_tokens=True).ids
        problems = []
        if ref_ids != our["ids"]:
            first = next((i for i, (a, b) in enumerate(zip(ref_ids, our["ids"])) if a != b),
                         min(len(ref_ids), len(our["ids"])))
            problems.append(f"ids differ at token {first}\n"
                            f"  reference: {ref_ids[:60]}\n  ours:      {our['ids'][:60]}")
        ref_decoded = reference.decode(ref_ids, skip_special_tokens=False)
        if ref_decoded != probe:
            problems.append("the reference's decode does not give the probe back: "
                            + show_difference(probe, ref_decoded))
        if our["decoded"] != ref_decoded:
            problems.append("decode: " + show_difference(ref_decoded, our["decoded"]))
        ref_skipped = reference.decode(ref_ids, skip_special_tokens=True)
        if our["decoded_skip_special"] != ref_skipped:
            problems.append("decode(skip_special_tokens): "
                            + show_difference(ref_skipped, our["decoded_skip_special"]))
        if problems:
            failures.append(f"probe {probe[:120]!r}: " + "; ".join(problems))

    fast = PreTrainedTokenizerFast(tokenizer_file=tokenizer_path)
    if len(fast) != vocab_size:
        failures.append(f"transformers sees {len(fast)} tokens, expected {vocab_size}")
    for probe, our in zip(data["probes"], ours):
        if fast(probe, add_special_tokens=True)["input_ids"] != our["ids"]:
            failures.append(f"transformers' PreTrainedTokenizerFast ids differ on {probe[:120]!r}")
            break

    tokens = sum(len(o["ids"]) for o in ours)
    print(f"{data['options']['pattern']}: {len(data['probes'])} probes, {tokens} tokens, "
          f"{len(data['documents'])} training documents, vocab {vocab_size}: "
          f"{len(failures)} failure(s)")
    return failures


def main():
    binary, work_dir = sys.argv[1:3]
    extra = []
    if len(sys.argv) > 3:
        with open(sys.argv[3], "rb") as f:
            text = f.read().decode("utf-8")
        # Split on "\n" only: str.splitlines() would also split inside U+2028 and friends.
        extra = [line for line in text.split("\n") if line]
    failures = []
    for pattern, vocab_size in [("qwen2", 768), ("gpt2", 1024)]:
        data = make_input(extra, pattern, vocab_size)
        failures += train_and_compare(binary, os.path.join(work_dir, pattern), data)
    for failure in failures[:MAX_REPORTS]:
        print(failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
