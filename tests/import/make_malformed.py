#!/usr/bin/env python3
"""Derive broken logs from the genuine ones: make_malformed.py GEN_DIR OUT_DIR

GEN_DIR is what make_logs.py wrote. Each broken file is a genuine log with one defect, so
an importer that reports it is reacting to that defect and nothing else. OUT_DIR/EXPECTED.json
says, for each file, what `forensics import` must do: fail (exit non-zero) with a message that
names the place (the ZIP member, the JSON path) and contains the listed phrases.

Runs in the venv of make_logs.py (it writes zstd members through inspect's zipfile patch).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import inspect_ai._util.zipfile  # noqa: F401  (registers ZIP_ZSTANDARD, method 93, in zipfile)

ZSTD = zipfile.ZIP_ZSTANDARD  # type: ignore[attr-defined]


def rewrite_eval(src: Path, dst: Path, edit, compression=None) -> None:
    """Copy a .eval member by member (same names, order and compression), editing some."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            zout.writestr(info.filename, data, compress_type=compression(info) if compression else info.compress_type)


def edit_sample(member: str, fn):
    def edit(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        return json.dumps(fn(json.loads(data)), separators=(",", ":"), ensure_ascii=False).encode()

    return edit


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: make_malformed.py GEN_DIR OUT_DIR", file=sys.stderr)
        return 2
    gen, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    good_eval = gen / "inspect" / "oversight.eval"
    expected: dict[str, dict] = {}

    # 1. truncated ZIP: the first half of a real .eval (a copy interrupted mid-transfer). The
    # end-of-central-directory record is gone, so no member can be located.
    data = good_eval.read_bytes()
    (out / "truncated.eval").write_bytes(data[: len(data) // 2])
    expected["truncated.eval"] = {
        "defect": "first half of inspect/oversight.eval: no end-of-central-directory record",
        "must": "fail, saying the file is not a complete ZIP archive (cut off or still being copied); "
        "not a JSON error, not a crash",
        "phrases": ["truncated.eval", "ZIP"],
    }

    # 2. a sample member that is not JSON (zstd-compressed like its neighbours)
    rewrite_eval(good_eval, out / "sample-not-json.eval", lambda n, d: b"<html>502 Bad Gateway</html>\n" if n == "samples/1_epoch_1.json" else d)
    expected["sample-not-json.eval"] = {
        "defect": "member samples/1_epoch_1.json holds non-JSON text (zstd, like the rest)",
        "must": "fail when that sample is imported (--sample 1 --epoch 1), naming the member and "
        "the JSON syntax error with its line:column; importing another sample "
        "(--sample long-output) may succeed",
        "phrases": ["samples/1_epoch_1.json"],
    }

    # 3. unknown message role
    def bad_role(sample):
        sample["messages"][1]["role"] = "narrator"
        return sample

    rewrite_eval(good_eval, out / "unknown-role.eval", edit_sample("samples/1_epoch_1.json", bad_role))
    arr = json.loads((gen / "openai" / "messages-array.json").read_text())
    arr[1]["role"] = "narrator"
    (out / "openai-unknown-role.json").write_text(json.dumps(arr, indent=2, ensure_ascii=False) + "\n")
    for name, path in (("unknown-role.eval", "messages[1].role"), ("openai-unknown-role.json", "[1].role")):
        expected[name] = {
            "defect": 'a message with role "narrator"',
            "must": "fail, naming the message's path and the unknown role, listing the roles the "
            "format has",
            "phrases": ["narrator", path],
        }

    # 4. a tool result answering no earlier call
    def orphan(sample):
        sample["messages"][3]["tool_call_id"] = "call_9"
        return sample

    rewrite_eval(good_eval, out / "orphan-tool-result.eval", edit_sample("samples/1_epoch_1.json", orphan))
    oa = json.loads((gen / "openai" / "reasoning-content.json").read_text())
    oa["request"]["messages"][3]["tool_call_id"] = "call_9"
    (out / "openai-orphan-tool-result.json").write_text(json.dumps(oa, indent=2, ensure_ascii=False) + "\n")
    an = json.loads((gen / "anthropic" / "thinking.json").read_text())
    an["request"]["messages"][2]["content"][0]["tool_use_id"] = "toolu_09"
    (out / "anthropic-orphan-tool-result.json").write_text(json.dumps(an, indent=2, ensure_ascii=False) + "\n")
    for name, path, cid in (
        ("orphan-tool-result.eval", "messages[3].tool_call_id", "call_9"),
        ("openai-orphan-tool-result.json", "request.messages[3].tool_call_id", "call_9"),
        ("anthropic-orphan-tool-result.json", "request.messages[2].content[0].tool_use_id", "toolu_09"),
    ):
        expected[name] = {
            "defect": f"a tool result for {cid}, which no earlier tool call has",
            "must": "fail (an incident's tool reply must answer an earlier call), naming the "
            "path and the id",
            "phrases": [cid, path],
        }

    # 5. a ZIP compression method the importer need not support (LZMA, 14)
    rewrite_eval(good_eval, out / "lzma-members.eval", lambda n, d: d, compression=lambda info: zipfile.ZIP_LZMA)
    expected["lzma-members.eval"] = {
        "defect": "members compressed with LZMA (method 14); inspect writes 8 (deflate) or 93 (zstd)",
        "must": "fail, naming the member and the method number and the supported ones "
        "(0 stored, 8 deflate, 93 zstd)",
        "phrases": ["14"],
    }

    (out / "EXPECTED.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"make_malformed.py: {len(expected)} broken logs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
