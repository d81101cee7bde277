"""Token-for-token parity of `forensics tokenize` with Hugging Face `tokenizers`.

For one tokenizer.json and a corpus, every line is encoded by the reference library (at test
time, never from stored numbers) and by our binary; ids must be equal on every line, with and
without special tokens, our decode must equal the reference decode, and byte offsets must equal
the reference's (converted from characters) wherever the two conventions coincide. A mismatch
prints the line, both id sequences and the first differing piece.

usage: tokenizer_parity.py FORENSICS_BINARY TOKENIZER_JSON CORPUS
"""
import json
import re
import subprocess
import sys
import unicodedata

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


BYTE_TOKEN = re.compile(r"^<0x[0-9A-F]{2}>$")


def byte_offsets(line, char_offsets):
    """The reference reports offsets in characters; ours are bytes."""
    cumulative = [0]
    for ch in line:
        cumulative.append(cumulative[-1] + len(ch.encode("utf-8")))
    return [[cumulative[a], cumulative[b]] for a, b in char_offsets]


def offsets_comparable(line, encoding):
    """Lines where both offset conventions are the same thing. Two documented differences are
    left out: a byte-fallback token covers its one byte for us but its whole character in the
    reference's character offsets, and where normalization composes characters the reference
    aligns the result to the first original character while we align it to the whole cluster."""
    if any(BYTE_TOKEN.match(token) for token in encoding.tokens):
        return False
    return unicodedata.normalize("NFKC", line) == line and unicodedata.normalize("NFD", line) == line


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
    offset_checks = 0
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
            if offsets_comparable(line, encoding):
                offset_checks += 1
                expected_offsets = byte_offsets(line, encoding.offsets)
                if expected_offsets != our["offsets"]:
                    failures += 1
                    if failures <= MAX_REPORTS:
                        first = next((i for i, (a, b) in enumerate(zip(expected_offsets, our["offsets"]))
                                      if a != b), 0)
                        print(f"offsets differ on line {number} at token {first} "
                              f"({encoding.tokens[first]!r}): reference {expected_offsets[first]}, "
                              f"ours {our['offsets'][first] if first < len(our['offsets']) else None}")
                    continue
            expected = reference.decode(encoding.ids, skip_special_tokens=False)
            if expected != our["decoded"]:
                failures += 1
                if failures <= MAX_REPORTS:
                    print(f"decode differs on line {number} ({mode} special tokens):\n"
                          f"  reference: {expected[:200]!r}\n  ours:      {our['decoded'][:200]!r}")
    print(f"{tokenizer_path}: {len(lines)} lines; byte offsets compared on {offset_checks} encodings")
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
