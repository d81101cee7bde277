"""Parity of the C++ Jinja engine (forensics_jinja) with transformers' apply_chat_template.

Every fixture in tests/fixtures/chat_templates/ (real chat templates, SOURCES.md says where each
came from) is rendered with every conversation below, twice: by transformers' own
`apply_chat_template` (tokenize=False) on a real tokenizer object carrying the special tokens the
template expects, and by the C++ engine through `forensics_jinja_render --cases`. The reference is
computed here, at test time, never stored.

The C++ side gets exactly the variables jinja2 got: the script wraps transformers' compiled
template and records the keyword arguments of its render() call (messages after transformers'
normalization, tools, documents, add_generation_prompt, the special tokens, extra kwargs). The
clock of strftime_now is fixed in both. A render that raises in transformers must raise in C++
(raise_exception with the same message). Any difference fails the test, listing every differing
(template, conversation) pair with the first differing byte.

usage: jinja_template_parity.py FORENSICS_JINJA_RENDER FIXTURE_DIR
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

import jinja2
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast
from transformers.utils import chat_template_utils

NOW = datetime.datetime(2024, 9, 26, 14, 5, 9)

# The special tokens each model's tokenizer declares (its tokenizer_config.json), which
# apply_chat_template passes to the template as bos_token, eos_token, ...
SPECIAL_TOKENS = {
    "Qwen-Qwen3-0.6B": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "Qwen-Qwen2.5-7B-Instruct": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "Qwen-QwQ-32B": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "meta-llama-Llama-3.1-8B-Instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "meta-llama-Llama-3.2-3B-Instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B": {"bos_token": "<｜begin▁of▁sentence｜>",
                                                 "eos_token": "<｜end▁of▁sentence｜>"},
    "deepseek-ai-DeepSeek-V3.1": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
    "openai-gpt-oss-120b": {"eos_token": "<|return|>", "pad_token": "<|endoftext|>"},
    "google-gemma-2-2b-it": {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"},
    "google-gemma-3-4b-it": {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"},
    "mistralai-Mistral-Nemo-Instruct-2407": {"bos_token": "<s>", "eos_token": "</s>"},
    "Mistral-Small-3.2-24B-Instruct-2506": {"bos_token": "<s>", "eos_token": "</s>"},
    "microsoft-Phi-3.5-mini-instruct": {"bos_token": "<s>", "eos_token": "<|endoftext|>"},
    "microsoft-phi-4": {"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>"},
    "microsoft-Phi-4-mini-instruct": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use": {"bos_token": "<|begin_of_text|>", "eos_token": "<|im_end|>"},
    "ibm-granite-granite-3.3-2B-Instruct": {"bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"},
}

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. Zürich"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit",
                 "default": "celsius"},
        "days": {"type": "integer", "description": "Forecast days", "default": 1},
    }, "required": ["city"]}}}
SEARCH_TOOL = {"type": "function", "function": {
    "name": "search_files",
    "description": "Search files by pattern — returns matching paths.",
    "parameters": {"type": "object", "properties": {
        "patterns": {"type": "array", "items": {"type": "string"}, "description": "Glob patterns"},
        "options": {"type": "object", "properties": {
            "follow": {"type": "boolean"}, "depth": {"type": "number", "nullable": True}},
            "description": "Search options"},
        "limit": {"type": ["integer", "null"], "description": "Max results"},
        "mode": {"oneOf": [{"type": "string"}, {"type": "integer"}], "description": "Mode"},
    }, "required": ["patterns"]}}}
NO_ARGS_TOOL = {"type": "function", "function": {
    "name": "get_time", "description": "Current time.", "parameters": {"type": "object", "properties": {}}}}
TOOLS = [WEATHER_TOOL, SEARCH_TOOL]


def call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def system(content):
    return {"role": "system", "content": content}


def user(content):
    return {"role": "user", "content": content}


def assistant(content, **extra):
    return {"role": "assistant", "content": content, **extra}


def tool(call_id, content, name):
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


WEATHER_CALL = call("call00001", "get_weather", {"city": "Zürich", "unit": "celsius", "days": 2})
WEATHER_RESULT = tool("call00001", '{"temperature": 21.5, "sky": "clear"}', "get_weather")
NUMBERS_CALL = call("call00002", "search_files", {
    "patterns": ["*.py", "src/**/*.cc"], "options": {"follow": False, "depth": None},
    "limit": 10, "mode": 1.0, "ratios": [0.5, -0.0, 1e-05, 1e16, 123456.789, -7],
    "text": "tab\there \"quoted\" back\\slash \u0001 é 🚀 中文"})

BASE_CONVERSATIONS = [
    ("system and user", [system("You are a helpful assistant."), user("Hello!")], {}),
    ("user only", [user("What is 2 + 2?")], {}),
    ("multi-turn", [system("Be brief."), user("Hi."), assistant("Hello! How can I help?"),
                    user("Tell me a joke."), assistant("Why did the chicken cross the road?"),
                    user("Why?")], {}),
    ("multi-turn ending with the assistant", [user("Hi."), assistant("Hello."), user("Bye."),
                                              assistant("Goodbye!")], {}),
    ("non-ASCII, emoji and CJK", [system("Système: réponds en français ✓"),
                                  user("こんにちは 🌸 — «ça va?» 中文测试 Ωμέγα"),
                                  assistant("Très bien 😀, 谢谢! ß ǅ İ"), user("Encore 🚀")], {}),
    ("quotes, backslashes, newlines and surrounding spaces", [
        user("  Say \"hi\" and 'bye'\\n literally.\nSecond line\r\n\tTabbed  "),
        assistant("  \"hi\" 'bye' \\ done\n\n"), user("{{ not a template }} {% raw %}")], {}),
    ("empty contents", [system(""), user(""), assistant(""), user("Still there?")], {}),
    ("reasoning content on assistant turns", [
        user("What is 17 * 3?"),
        assistant("It is 51.", reasoning_content="17 * 3 = 51.\nDouble-check: 50 + 1."),
        user("And 17 * 4?"),
        assistant("It is 68.", reasoning_content="17 * 4 = 68.")], {}),
    ("reasoning inside the content with think tags", [
        user("Think first."), assistant("<think>\nLet me think.\n</think>\n\nDone thinking."),
        user("Again.")], {}),
    ("tools offered, no call", [system("You can use tools."), user("Weather in Paris?")],
     {"tools": TOOLS}),
    ("tools offered without a system message", [user("Find the python files.")], {"tools": TOOLS}),
    ("one tool call with its result", [
        system("You are a weather bot."), user("Weather in Zürich for two days?"),
        assistant("", tool_calls=[WEATHER_CALL]), WEATHER_RESULT,
        assistant("It is 21.5 °C and clear.")], {"tools": TOOLS}),
    ("tool call with None content and reasoning", [
        user("Weather in Zürich?"),
        assistant(None, reasoning_content="I should call the tool.", tool_calls=[WEATHER_CALL]),
        WEATHER_RESULT], {"tools": TOOLS}),
    ("tool call with arguments of every JSON type", [
        user("Search."), assistant("Searching now.", tool_calls=[NUMBERS_CALL]),
        tool("call00002", "[\"a.py\", \"b.cc\"]", "search_files"), assistant("Found 2 files.")],
     {"tools": TOOLS}),
    ("tool call with arguments as a JSON string", [
        user("Weather?"),
        assistant("", tool_calls=[call("call00003", "get_weather", '{"city": "Oslo"}')]),
        tool("call00003", "cold", "get_weather")], {"tools": TOOLS}),
    ("two tool calls in one turn, two results", [
        user("Weather in Oslo and Rome?"),
        assistant("", tool_calls=[call("call00004", "get_weather", {"city": "Oslo"}),
                                  call("call00005", "get_weather", {"city": "Rome"})]),
        tool("call00004", "cold", "get_weather"), tool("call00005", "warm", "get_weather"),
        assistant("Oslo is cold, Rome is warm.")], {"tools": TOOLS}),
    ("a tool with no parameters", [user("Time?"), assistant("", tool_calls=[call("call00006", "get_time", {})]),
                                   tool("call00006", "12:00", "get_time")], {"tools": [NO_ARGS_TOOL]}),
    ("content as a list of text parts", [
        system([{"type": "text", "text": "Parts system."}]),
        user([{"type": "text", "text": "First part."}, {"type": "text", "text": "Second part."}]),
        assistant([{"type": "text", "text": "Answer part."}])], {}),
    ("assistant first", [assistant("I start."), user("Fine.")], {}),
    ("two user turns in a row", [user("One."), user("Two.")], {}),
    ("system only", [system("Only a system prompt.")], {}),
    ("tool result without a preceding call", [user("Hi."), tool("call00007", "orphan", "get_time")], {}),
]

# Keyword arguments some templates read, each tried on a few conversations.
EXTRA_KWARGS = [
    ("enable_thinking=False", {"enable_thinking": False}),
    ("enable_thinking=True", {"enable_thinking": True}),
    ("thinking=True", {"thinking": True}),
    ("gpt-oss options", {"reasoning_effort": "high", "builtin_tools": ["browser", "python"],
                         "model_identity": "You are a test model."}),
    ("llama options", {"builtin_tools": ["brave_search", "wolfram_alpha"], "tools_in_user_message": False,
                       "date_string": "01 Jan 2025"}),
    ("documents", {"documents": [{"doc_id": 1, "title": "Doc", "text": "Body text."}]}),
]


def conversations():
    out = []
    for name, messages, kwargs in BASE_CONVERSATIONS:
        for add_generation_prompt in (False, True):
            out.append((f"{name}, add_generation_prompt={add_generation_prompt}", messages,
                        {**kwargs, "add_generation_prompt": add_generation_prompt}))
    for base_index in (0, 7, 11):
        base_name, messages, kwargs = BASE_CONVERSATIONS[base_index]
        for extra_name, extra in EXTRA_KWARGS:
            out.append((f"{base_name}, {extra_name}", messages, {**kwargs, **extra, "add_generation_prompt": True}))
    return out


class RecordingTemplate:
    """Wraps a compiled jinja2 template and keeps the variables each render() call gets."""

    def __init__(self, template):
        self.template = template
        self.contexts = []

    def render(self, **variables):
        self.contexts.append(variables)
        return self.template.render(**variables)


class FixedClock(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


def reference_render(template_text, special_tokens, messages, kwargs):
    """(outcome, context): outcome is ("text", str) or ("error", exception) from apply_chat_template."""
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]")), **special_tokens)
    compile_original = chat_template_utils._compile_jinja_template
    recorder = None

    def compile_recording(text):
        nonlocal recorder
        recorder = RecordingTemplate(compile_original(text))
        return recorder

    chat_template_utils._compile_jinja_template = compile_recording
    try:
        text = tokenizer.apply_chat_template(json.loads(json.dumps(messages)), chat_template=template_text,
                                             tokenize=False, **kwargs)
        outcome = ("text", text)
    except Exception as error:  # the template refused the chat: C++ must refuse it too
        outcome = ("error", error)
    finally:
        chat_template_utils._compile_jinja_template = compile_original
    if recorder is None or not recorder.contexts:
        raise RuntimeError(f"transformers rendered nothing to record: {outcome}")
    return outcome, recorder.contexts[0]


def first_difference(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def compare(reference, ours):
    """None when they agree, else a description of the difference."""
    kind, value = reference
    if kind == "text":
        if "text" not in ours:
            return f"transformers rendered {len(value.encode())} bytes, ours failed: {ours['error']}"
        expected, actual = value.encode(), ours["text"].encode()
        if expected == actual:
            return None
        at = first_difference(expected, actual)
        lo = max(0, at - 60)
        return (f"first differing byte {at} (lengths {len(expected)} vs {len(actual)})\n"
                f"      transformers: {expected[lo:at + 60]!r}\n"
                f"      ours:         {actual[lo:at + 60]!r}")
    if "text" in ours:
        return f"transformers raised {type(value).__name__}: {value}; ours rendered {len(ours['text'])} characters"
    if type(value) is jinja2.exceptions.TemplateError:  # raise_exception(message)
        if ours["kind"] != "raised" or ours["message"] != str(value):
            return f"transformers raise_exception({str(value)!r}); ours: {ours['kind']}: {ours['error']}"
    elif isinstance(value, RecursionError):  # a template recursing forever: ours must stop at its limit
        if ours["kind"] != "limit":
            return f"transformers raised RecursionError; ours: {ours['kind']}: {ours['error']}"
    elif ours["kind"] in ("unsupported", "limit"):
        return f"transformers raised {type(value).__name__}: {value}; ours: {ours['kind']}: {ours['error']}"
    return None


def main():
    binary, fixture_dir = sys.argv[1], sys.argv[2]
    chat_template_utils.datetime = FixedClock  # strftime_now reads the module's datetime at call time
    names = sorted(f[:-len(".jinja")] for f in os.listdir(fixture_dir) if f.endswith(".jinja"))
    missing = [n for n in names if n not in SPECIAL_TOKENS]
    if missing:
        sys.exit(f"no special tokens listed for fixtures {missing}: add them to SPECIAL_TOKENS")
    cases, references, labels = [], [], []
    for name in names:
        with open(os.path.join(fixture_dir, name + ".jinja"), encoding="utf-8") as f:
            template_text = f.read()
        for label, messages, kwargs in conversations():
            outcome, context = reference_render(template_text, SPECIAL_TOKENS[name], messages, kwargs)
            cases.append({"template": name, "context": context, "now": NOW.strftime("%Y-%m-%dT%H:%M:%S")})
            references.append(outcome)
            labels.append((name, label))
    with tempfile.TemporaryDirectory() as work:
        cases_path = os.path.join(work, "cases.json")
        with open(cases_path, "w", encoding="utf-8") as f:
            json.dump({"templates": {n: os.path.join(fixture_dir, n + ".jinja") for n in names}, "cases": cases},
                      f, ensure_ascii=False)
        result = subprocess.run([binary, "--cases", cases_path], capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{binary} failed ({result.returncode}): {result.stderr.decode()}")
    ours = json.loads(result.stdout)
    failures = []
    for (name, label), reference, our in zip(labels, references, ours, strict=True):
        problem = compare(reference, our)
        if problem:
            failures.append(f"  {name} × {label}: {problem}")
    raised = sum(1 for kind, _ in references if kind == "error")
    summary = (f"{len(names)} templates × {len(conversations())} conversations = {len(cases)} renders "
               f"({raised} refused by the template in transformers)")
    if failures:
        print("\n".join(failures), flush=True)
        sys.exit(f"{len(failures)} of {summary} differ")
    print(f"jinja: all {summary} are byte-identical to transformers apply_chat_template")


if __name__ == "__main__":
    main()
