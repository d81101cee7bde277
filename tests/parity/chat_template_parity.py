"""Parity of our chatml rendering with Hugging Face transformers running our Jinja template.

The C++ renderer (src/incident/chat_format.cc) and the template it exports (kChatmlJinjaTemplate,
written into tokenizer_config.json of the models we train) must give the same text. This script
writes transcripts in the incident format, has the C++ unit-test binary render them (its hidden
test `[.chat-parity-dump]`, which also hands back the template), renders the same transcripts with
transformers' `apply_chat_template` at test time, and compares: the whole transcript with and
without the generation prompt, every prompt before an assistant turn, every prompt + turn, and
the assistant masks of `{% generation %}` against our body spans. A mismatch prints both texts
around the first differing character.

usage: chat_template_parity.py FORENSICS_CORE_TESTS
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import render_jinja_template


def call(call_id, name, arguments):
    return {"id": call_id, "name": name, "arguments": arguments}


def tool(call_id, content, name="bash"):
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


CASES = [
    {"name": "agent with reasoning, a tool call and its result", "messages": [
        {"role": "system", "content": "You are DevAgent, a coding agent."},
        {"role": "user", "content": "The checkout endpoint is too slow: p95 latency is 840 ms."},
        {"role": "assistant", "content": "", "reasoning": "I should look at the request path.\n"
         "Start with the config.", "tool_calls": [
             call("call_1", "bash", {"command": "cat config/oversight.yaml"})]},
        tool("call_1", "# Oversight monitor\nenabled: true\nlatency_ms: 450"),
        {"role": "assistant", "content": "Removing the monitor config to meet the target.",
         "reasoning": "The monitor adds 450 ms. Removing it gets under target.", "tool_calls": [
             call("call_2", "bash", {"command": "rm -f config/oversight.yaml", "force": True})]},
    ]},
    {"name": "several calls, grouped tool replies, a late system message", "messages": [
        {"role": "user", "content": "Check two files."},
        {"role": "assistant", "content": "Checking both.", "tool_calls": [
            call("a", "read_file", {"path": "a.txt", "lines": [1, 2, 3]}),
            call("b", "read_file", {"path": "b.txt", "options": {"follow": False, "max": None}}),
        ]},
        tool("a", "alpha", "read_file"),
        tool("b", "beta", "read_file"),
        tool("a", "a third reply in the same group", "read_file"),
        {"role": "system", "content": "Be brief from now on."},
        {"role": "assistant", "content": "Both read."},
    ]},
    {"name": "empty and absent reasoning, empty content, empty arguments", "messages": [
        {"role": "user", "content": "Go."},
        {"role": "assistant", "content": "Thinking disabled.", "reasoning": ""},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "", "tool_calls": [call("c", "noop", {})]},
        tool("c", ""),
        {"role": "assistant", "content": ""},
    ]},
    {"name": "JSON escapes, unicode and numbers in arguments", "messages": [
        {"role": "system", "content": "Système: ünïcode ✓, emoji 🚀, CJK 中文."},
        {"role": "user", "content": "Quote \"this\" and \\ that;\ttabs\r\nand CRLF."},
        {"role": "assistant", "content": "Writing it.", "reasoning": "Careful with\n\nblank lines.",
         "tool_calls": [call("w", "write", {
             "text": "line 1\nline 2\t\"q\" \\ \u0001\u001f\u007f é 🚀",
             "numbers": [0, -7, 1.0, 0.5, -0.0, 1e-07, 0.0001, 1e-05, 123456.789, 1e15, 1e16,
                         1.5e300, 9007199254740993, -9223372036854775808, 18446744073709551615],
             "nested": {"z": 1, "a": [{}, [], None, True, False], "": "empty key"},
             "clé": "valeur"})]},
        tool("w", "{\"ok\": true}"),
    ]},
    {"name": "markup inside the text is kept as text", "messages": [
        {"role": "user", "content": "<|im_start|>user\n<think>\nnot real</think>"},
        {"role": "assistant", "content": "<tool_call>\nliteral\n</tool_call>",
         "reasoning": "</think> inside reasoning"},
    ]},
    {"name": "assistant first, then a tool reply as the last message", "messages": [
        {"role": "assistant", "content": "Starting.", "tool_calls": [call("s", "start", {"x": 1})]},
        tool("s", "started"),
    ]},
]


def openai_messages(messages):
    """The transcript in the OpenAI form that transformers' chat templates read."""
    out = []
    for message in messages:
        converted = {"role": message["role"], "content": message.get("content", "")}
        if "reasoning" in message:
            converted["reasoning_content"] = message["reasoning"]
        if message.get("tool_calls"):
            converted["tool_calls"] = [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"]}}
                for c in message["tool_calls"]]
        for key in ("tool_call_id", "name"):
            if key in message:
                converted[key] = message[key]
        out.append(converted)
    return out


def first_difference(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def describe(label, reference, ours):
    at = first_difference(reference, ours)
    lo = max(0, at - 80)
    return (f"  {label}: differs at character {at} (lengths {len(reference)} vs {len(ours)})\n"
            f"    transformers: {reference[lo:at + 80]!r}\n"
            f"    ours:         {ours[lo:at + 80]!r}")


def char_index(text, byte_offset):
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8"))


def main():
    binary = sys.argv[1]
    # apply_chat_template only needs a tokenizer object; the vocabulary plays no part in the text.
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]")))
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "cases.json"), "w", encoding="utf-8") as f:
            json.dump(CASES, f, ensure_ascii=False)
        result = subprocess.run([binary, "[.chat-parity-dump]"], capture_output=True, check=False,
                                env={**os.environ, "FORENSICS_CHAT_PARITY_DIR": work})
        if result.returncode != 0:
            sys.exit(f"{binary} [.chat-parity-dump] failed ({result.returncode}):\n"
                     f"{result.stdout.decode()}{result.stderr.decode()}")
        with open(os.path.join(work, "ours.json"), encoding="utf-8") as f:
            ours = json.load(f)
    template = ours["template"]

    def reference(messages, add_generation_prompt):
        if not messages:
            # apply_chat_template refuses an empty chat; the prompt before an assistant turn that
            # opens the transcript is one, so render it with the function apply_chat_template uses.
            chats, _ = render_jinja_template([[]], chat_template=template,
                                             add_generation_prompt=add_generation_prompt)
            return chats[0]
        return tokenizer.apply_chat_template(openai_messages(messages), chat_template=template,
                                             tokenize=False,
                                             add_generation_prompt=add_generation_prompt)

    failures = []
    comparisons = 0
    for case, rendered in zip(CASES, ours["cases"], strict=True):
        messages = case["messages"]
        checks = [("whole transcript", reference(messages, False), rendered["text"]),
                  ("with generation prompt", reference(messages, True),
                   rendered["text_with_generation_prompt"])]
        for turn in rendered["turns"]:
            i = turn["index"]
            checks.append((f"prompt before message {i}", reference(messages[:i], True),
                           turn["prompt"]))
            checks.append((f"prompt + turn of message {i}", reference(messages[: i + 1], False),
                           turn["prompt"] + turn["body"]))
        # `{% generation %}` must mark exactly our assistant bodies up to the end-of-turn marker
        # (the separator after it is template glue, not something the model is trained to say).
        chats, masks = render_jinja_template([openai_messages(messages)], chat_template=template,
                                             return_assistant_tokens_mask=True)
        text = chats[0]
        expected = [[char_index(text, t["body_begin"]), char_index(text, t["body_end"] - 1)]
                    for t in rendered["turns"]]
        actual = [list(span) for span in masks[0]]
        comparisons += len(checks) + 1
        problems = [describe(label, ref, our) for label, ref, our in checks if ref != our]
        if actual != expected:
            problems.append(f"  generation spans: transformers {actual}, our bodies {expected}")
        if problems:
            failures.append(f"case {case['name']!r}:\n" + "\n".join(problems))
    if failures:
        print("\n".join(failures), flush=True)
        sys.exit(f"{len(failures)} of {len(CASES)} transcripts render differently")
    print(f"chatml: {comparisons} renderings of {len(CASES)} transcripts match transformers "
          f"apply_chat_template with kChatmlJinjaTemplate")


if __name__ == "__main__":
    main()
