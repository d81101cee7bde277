"""Token-for-token parity of `forensics tokenize` with Hugging Face `tokenizers`.

For one tokenizer.json and a corpus, every line is encoded by the reference library (at test
time, never from stored numbers) and by our binary; ids must be equal on every line, with and
without special tokens, and our decode must equal the reference decode. A mismatch prints the
line, both id sequences and the first differing piece.

usage: tokenizer_parity.py FORENSICS_BINARY TOKENIZER_JSON CORPUS
"""
import json
import subprocess
import sys

from tokenizers import Tokenizer

MAX_REPORTS = 10


def corpus_lines(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def ours(binary, tokenizer_path, corpus, add_special):
    command = [binary, "tokenize", tokenizer_path, "--file", corpus, "--each-line", "--json"]
    if not add_special:
        command.append("--no-special")
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"forensics tokenize failed ({result.returncode}):\n{result.stderr.decode()}")
    # Split on "\n" only: str.splitlines() would also split inside U+2028 and friends.
    text = result.stdout.decode("utf-8")
    return [json.loads(line) for line in text.split("\n") if line]


def describe_difference(reference, line, ref_ids, our):
    our_ids = our["ids"]
    first = next((i for i, (a, b) in enumerate(zip(ref_ids, our_ids)) if a != b),
                 min(len(ref_ids), len(our_ids)))
    ref_piece = reference.id_to_token(ref_ids[first]) if first < len(ref_ids) else "(end)"
    our_piece = our["tokens"][first] if first < len(our_ids) else "(end)"
    return (f"  line: {line[:200]!r}\n"
            f"  reference ids: {ref_ids[:60]}{' ...' if len(ref_ids) > 60 else ''}\n"
            f"  our ids:       {our_ids[:60]}{' ...' if len(our_ids) > 60 else ''}\n"
            f"  first difference at token {first}: reference {ref_piece!r}, ours {our_piece!r}")


def main():
    binary, tokenizer_path, corpus = sys.argv[1:4]
    reference = Tokenizer.from_file(tokenizer_path)
    lines = corpus_lines(corpus)
    failures = 0
    checks = 0
    for add_special in (True, False):
        encodings = reference.encode_batch(lines, add_special_tokens=add_special)
        mine = ours(binary, tokenizer_path, corpus, add_special)
        if len(mine) != len(lines):
            sys.exit(f"line count differs: {len(lines)} in the corpus, {len(mine)} from forensics")
        for number, (line, encoding, our) in enumerate(zip(lines, encodings, mine), start=1):
            checks += 1
            mode = "with" if add_special else "without"
            if encoding.ids != our["ids"]:
                failures += 1
                if failures <= MAX_REPORTS:
                    print(f"ids differ on line {number} ({mode} special tokens):")
                    print(describe_difference(reference, line, encoding.ids, our))
                continue
            expected = reference.decode(encoding.ids, skip_special_tokens=False)
            if expected != our["decoded"]:
                failures += 1
                if failures <= MAX_REPORTS:
                    print(f"decode differs on line {number} ({mode} special tokens):\n"
                          f"  reference: {expected[:200]!r}\n  ours:      {our['decoded'][:200]!r}")
    print(f"{tokenizer_path}: {len(lines)} lines")
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
