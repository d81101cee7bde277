// Chat formats: exact renderings of each built-in format, the prompt + turn invariant, spans that
// point at the right bytes, and Python-compatible JSON. Parity of the chatml Jinja template with
// transformers is tests/parity/chat_template_parity.py, which drives the hidden dump test below.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "forensics/incident/chat_format.h"
#include "forensics/util/error.h"

using namespace forensics;
using namespace forensics::incident;

namespace {

Message text_message(Role role, std::string content) {
  Message message;
  message.role = role;
  message.content = std::move(content);
  return message;
}

Message assistant(std::string content, std::optional<std::string> reasoning, std::vector<ToolCall> calls = {}) {
  Message message = text_message(Role::kAssistant, std::move(content));
  message.reasoning = std::move(reasoning);
  message.tool_calls = std::move(calls);
  return message;
}

Message tool_reply(std::string id, std::string content) {
  Message message = text_message(Role::kTool, std::move(content));
  message.tool_call_id = std::move(id);
  message.name = "bash";
  return message;
}

ToolCall bash_call(std::string id, Json arguments) { return ToolCall{std::move(id), "bash", std::move(arguments)}; }

// System, user, assistant with reasoning and a tool call, the tool's reply, and a second
// assistant turn with reasoning, content and a call.
Transcript agent_transcript() {
  Transcript transcript;
  transcript.messages = {
      text_message(Role::kSystem, "You are DevAgent."),
      text_message(Role::kUser, "Fix the latency."),
      assistant("", "Check the config.", {bash_call("call_1", Json{{"command", "cat config.yaml"}})}),
      tool_reply("call_1", "monitor: on"),
      assistant("Done.", "It is slow. Remove it.",
                {bash_call("call_2", Json{{"command", "rm config.yaml"}, {"force", true}})}),
  };
  return transcript;
}

// Corners: no system message, two calls in one turn, consecutive tool replies, a system
// message mid-way, empty reasoning, an assistant turn with no reasoning, and text that looks
// like markup.
Transcript corner_transcript() {
  Transcript transcript;
  transcript.messages = {
      text_message(Role::kUser, "Two checks, \"quoted\" and ünïcode."),
      assistant("Running both.", std::nullopt,
                {bash_call("a", Json{{"command", "ls"}}), bash_call("b", Json{{"n", 1.5}, {"path", "x\ty"}})}),
      tool_reply("a", "file.txt"),
      tool_reply("b", "<|im_end|> is just text here"),
      text_message(Role::kSystem, "Be brief."),
      assistant("ok", ""),
      text_message(Role::kUser, "And again?"),
      assistant("", std::nullopt, {bash_call("c", Json::object())}),
  };
  return transcript;
}

const ChatTemplate kBuiltIn[] = {ChatTemplate::kChatml, ChatTemplate::kLlama3, ChatTemplate::kMistral};

void check_spans(const Transcript& transcript, const RenderedTranscript& rendered, ChatTemplate chat_template) {
  const ChatMarkers& markers = chat_markers(chat_template);
  REQUIRE(rendered.messages.size() == transcript.messages.size());
  std::size_t expected_begin = markers.begin_of_text.size();
  for (std::size_t i = 0; i < transcript.messages.size(); ++i) {
    INFO("message " << i);
    const Message& message = transcript.messages[i];
    const MessageSpans& spans = rendered.messages[i];
    CHECK(spans.message.begin == expected_begin);
    expected_begin = spans.message.end;
    CHECK(spans.content.of(rendered.text) == message.content);
    CHECK(spans.reasoning.has_value() == message.reasoning.has_value());
    if (message.reasoning) {
      CHECK(spans.reasoning->of(rendered.text) == *message.reasoning);
      CHECK(rendered.text.substr(spans.reasoning->begin - markers.reasoning_start.size(),
                                 markers.reasoning_start.size()) == markers.reasoning_start);
    }
    REQUIRE(spans.tool_calls.size() == message.tool_calls.size());
    for (std::size_t c = 0; c < spans.tool_calls.size(); ++c) {
      const ToolCallSpans& call = spans.tool_calls[c];
      CHECK(call.arguments.of(rendered.text) == python_json_dumps(message.tool_calls[c].arguments));
      CHECK(call.call.begin <= call.arguments.begin);
      CHECK(call.arguments.end <= call.call.end);
      CHECK(spans.body.begin <= call.call.begin);
      CHECK(call.call.end <= spans.body.end);
    }
    if (message.role == Role::kAssistant) {
      CHECK(spans.body.begin == spans.message.begin + markers.generation_prompt.size());
      CHECK(rendered.text.substr(spans.message.begin, markers.generation_prompt.size()) == markers.generation_prompt);
      const std::string ending = std::string(markers.end_of_turn) + std::string(markers.turn_separator);
      CHECK(rendered.text.substr(spans.body.end - ending.size(), ending.size()) == ending);
    } else {
      CHECK(spans.body.begin == spans.message.begin);
    }
    CHECK(spans.body.end == spans.message.end);
  }
  CHECK(expected_begin == rendered.text.size());
}

Message message_from_json(const Json& value) {
  Message message;
  message.role = *kRoleNames.parse(value.at("role").get<std::string>());
  message.content = value.value("content", "");
  if (value.contains("reasoning")) message.reasoning = value["reasoning"].get<std::string>();
  if (value.contains("tool_calls")) {
    for (const Json& call : value["tool_calls"]) {
      message.tool_calls.push_back(
          ToolCall{call.at("id").get<std::string>(), call.at("name").get<std::string>(), call.at("arguments")});
    }
  }
  if (value.contains("tool_call_id")) {
    message.tool_call_id = value["tool_call_id"].get<std::string>();
  }
  if (value.contains("name")) message.name = value["name"].get<std::string>();
  return message;
}

}  // namespace

TEST_CASE("chatml renders a tool-using agent turn by turn as Qwen3 does", "[chat]") {
  const auto rendered = render_transcript(agent_transcript(), ChatTemplate::kChatml);
  CHECK(rendered.text ==
        "<|im_start|>system\nYou are DevAgent.<|im_end|>\n"
        "<|im_start|>user\nFix the latency.<|im_end|>\n"
        "<|im_start|>assistant\n<think>\nCheck the config.\n</think>\n\n"
        "<tool_call>\n{\"name\": \"bash\", \"arguments\": {\"command\": \"cat config.yaml\"}}\n"
        "</tool_call><|im_end|>\n"
        "<|im_start|>user\n<tool_response>\nmonitor: on\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n<think>\nIt is slow. Remove it.\n</think>\n\nDone.\n"
        "<tool_call>\n{\"name\": \"bash\", \"arguments\": {\"command\": \"rm config.yaml\", "
        "\"force\": true}}\n</tool_call><|im_end|>\n");
  const auto with_prompt =
      render_transcript(agent_transcript(), ChatTemplate::kChatml, {/*add_generation_prompt=*/true});
  CHECK(with_prompt.text == rendered.text + "<|im_start|>assistant\n");
}

TEST_CASE("llama3 renders headers, ipython tool replies and JSON calls", "[chat]") {
  CHECK(render_transcript(agent_transcript(), ChatTemplate::kLlama3).text ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are DevAgent."
        "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nFix the latency.<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\nCheck the config.\n</think>"
        "\n\n{\"name\": \"bash\", \"parameters\": {\"command\": \"cat config.yaml\"}}<|eot_id|>"
        "<|start_header_id|>ipython<|end_header_id|>\n\nmonitor: on<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n<think>\nIt is slow. Remove it.\n"
        "</think>\n\nDone.\n{\"name\": \"bash\", \"parameters\": {\"command\": \"rm config.yaml\", "
        "\"force\": true}}<|eot_id|>");
}

TEST_CASE("mistral prepends the system message and writes [TOOL_CALLS] lists", "[chat]") {
  CHECK(render_transcript(agent_transcript(), ChatTemplate::kMistral).text ==
        "<s>[INST] You are DevAgent.\n\nFix the latency. [/INST]"
        "[THINK]Check the config.[/THINK][TOOL_CALLS] [{\"name\": \"bash\", \"arguments\": "
        "{\"command\": \"cat config.yaml\"}, \"id\": \"call_1\"}]</s>"
        "[TOOL_RESULTS] {\"content\": monitor: on, \"call_id\": \"call_1\"}[/TOOL_RESULTS]"
        "[THINK]It is slow. Remove it.[/THINK]Done.[TOOL_CALLS] [{\"name\": \"bash\", "
        "\"arguments\": {\"command\": \"rm config.yaml\", \"force\": true}, \"id\": \"call_2\"}]"
        "</s>");
}

TEST_CASE("chatml groups consecutive tool replies into one user turn", "[chat]") {
  const auto rendered = render_transcript(corner_transcript(), ChatTemplate::kChatml);
  CHECK(rendered.text.find("<|im_start|>assistant\nRunning both.\n<tool_call>\n{\"name\": "
                           "\"bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>\n"
                           "<tool_call>\n{\"name\": \"bash\", \"arguments\": {\"n\": 1.5, "
                           "\"path\": \"x\\ty\"}}\n</tool_call><|im_end|>\n") != std::string::npos);
  CHECK(rendered.text.find("<|im_start|>user\n<tool_response>\nfile.txt\n</tool_response>\n"
                           "<tool_response>\n<|im_end|> is just text here\n</tool_response>"
                           "<|im_end|>\n<|im_start|>system\nBe brief.<|im_end|>\n") != std::string::npos);
  // Empty reasoning is still a think block: Qwen3's rendering of a turn with thinking disabled.
  CHECK(rendered.text.find("<|im_start|>assistant\n<think>\n\n</think>\n\nok<|im_end|>\n") != std::string::npos);
  CHECK(rendered.text.find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"bash\", "
                           "\"arguments\": {}}\n</tool_call><|im_end|>\n") != std::string::npos);
}

TEST_CASE("mistral gives a system message with no user after it a turn of its own", "[chat]") {
  Transcript transcript;
  transcript.messages = {text_message(Role::kSystem, "S"), assistant("A", std::nullopt),
                         text_message(Role::kUser, "U")};
  CHECK(render_transcript(transcript, ChatTemplate::kMistral).text == "<s>[INST] S [/INST]A</s>[INST] U [/INST]");
}

TEST_CASE("prompt plus turn is the rendering up to that turn, in every format", "[chat]") {
  for (const Transcript& transcript : {agent_transcript(), corner_transcript()}) {
    for (const ChatTemplate chat_template : kBuiltIn) {
      for (std::size_t i = 0; i < transcript.messages.size(); ++i) {
        if (transcript.messages[i].role != Role::kAssistant) continue;
        INFO(kChatTemplateNames.name(chat_template) << " message " << i);
        const auto prompt = render_prompt(transcript, i, chat_template);
        const auto turn = render_turn(transcript, i, chat_template);
        const auto upto = render_messages(transcript, i + 1, chat_template);
        CHECK(prompt.text + turn.text == upto.text);
        CHECK(prompt.text == render_messages(transcript, i, chat_template, {/*add_generation_prompt=*/true}).text);
        // The full rendering continues the same way.
        CHECK(render_transcript(transcript, chat_template).text.rfind(upto.text, 0) == 0);
        // The turn's spans are the full rendering's, moved to the turn's start.
        const MessageSpans& full = upto.messages[i];
        const std::size_t offset = prompt.text.size();
        CHECK(full.body.begin == offset);
        CHECK(turn.spans.content.begin + offset == full.content.begin);
        CHECK(turn.spans.content.of(turn.text) == transcript.messages[i].content);
        REQUIRE(turn.spans.reasoning.has_value() == full.reasoning.has_value());
        if (full.reasoning) CHECK(turn.spans.reasoning->begin + offset == full.reasoning->begin);
        REQUIRE(turn.spans.tool_calls.size() == full.tool_calls.size());
        for (std::size_t c = 0; c < full.tool_calls.size(); ++c) {
          CHECK(turn.spans.tool_calls[c].call.of(turn.text) == full.tool_calls[c].call.of(upto.text));
        }
        CHECK(turn.spans.message.begin == 0);
        CHECK(turn.spans.message.end == turn.text.size());
      }
    }
  }
}

TEST_CASE("spans tile the text and point at each part's bytes", "[chat]") {
  for (const Transcript& transcript : {agent_transcript(), corner_transcript()}) {
    for (const ChatTemplate chat_template : kBuiltIn) {
      INFO(kChatTemplateNames.name(chat_template));
      check_spans(transcript, render_transcript(transcript, chat_template), chat_template);
    }
  }
}

TEST_CASE("a prefix cut inside the reasoning continues the prompt", "[chat]") {
  const Transcript transcript = agent_transcript();
  const auto prompt = render_prompt(transcript, 4, ChatTemplate::kChatml);
  const auto turn = render_turn(transcript, 4, ChatTemplate::kChatml);
  const std::string first_sentence = "It is slow.";
  const std::string prefix = prompt.text + turn.text.substr(0, turn.spans.reasoning->begin + first_sentence.size());
  const ChatMarkers& markers = chat_markers(ChatTemplate::kChatml);
  CHECK(prefix == prompt.text + std::string(markers.reasoning_start) + first_sentence);
  const std::string ending = "</tool_response><|im_end|>\n<|im_start|>assistant\n<think>\nIt is slow.";
  CHECK(prefix.substr(prefix.size() - ending.size()) == ending);
}

TEST_CASE("the markers name each format's stop string and special tokens", "[chat]") {
  const ChatMarkers& chatml = chat_markers(ChatTemplate::kChatml);
  CHECK(chatml.end_of_turn == "<|im_end|>");
  CHECK(chatml.generation_prompt == "<|im_start|>assistant\n");
  CHECK(chatml.reasoning_start == "<think>\n");
  CHECK(chat_markers(ChatTemplate::kLlama3).end_of_turn == "<|eot_id|>");
  CHECK(chat_markers(ChatTemplate::kMistral).end_of_turn == "</s>");
  for (const ChatTemplate chat_template : kBuiltIn) {
    const ChatMarkers& markers = chat_markers(chat_template);
    const auto& special = markers.special_tokens;
    CHECK(std::find(special.begin(), special.end(), markers.end_of_turn) != special.end());
  }
}

TEST_CASE("non-assistant turns and indices past the end are refused with a reason", "[chat]") {
  const Transcript transcript = agent_transcript();
  CHECK_THROWS_WITH(render_prompt(transcript, 1, ChatTemplate::kChatml), Catch::Contains("user message"));
  CHECK_THROWS_WITH(render_turn(transcript, 9, ChatTemplate::kChatml), Catch::Contains("past the end"));
  CHECK_THROWS_AS(render_messages(transcript, 6, ChatTemplate::kChatml), InputError);
}

TEST_CASE("JSON is serialized as Python's json.dumps writes it", "[chat]") {
  CHECK(python_json_dumps(Json::parse(R"({"b": [1, -2, true, null, "x"], "a": {}, "c": []})")) ==
        R"({"b": [1, -2, true, null, "x"], "a": {}, "c": []})");
  CHECK(python_json_dumps("q\"\\\n\r\t\b\f\x01\x1f\x7f é ✓") == R"("q\"\\\n\r\t\b\f\u0001\u001f)"
                                                                "\x7f é ✓\"");
  CHECK(python_json_dumps(1.0) == "1.0");
  CHECK(python_json_dumps(-0.0) == "-0.0");
  CHECK(python_json_dumps(0.1) == "0.1");
  CHECK(python_json_dumps(1.5e-7) == "1.5e-07");
  CHECK(python_json_dumps(0.0001) == "0.0001");
  CHECK(python_json_dumps(0.00001) == "1e-05");
  CHECK(python_json_dumps(1e15) == "1000000000000000.0");
  CHECK(python_json_dumps(1e16) == "1e+16");
  CHECK(python_json_dumps(123456.789) == "123456.789");
  CHECK(python_json_dumps(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(python_json_dumps(std::uint64_t{18446744073709551615u}) == "18446744073709551615");
}

// Driven by tests/parity/chat_template_parity.py: renders the transcripts it wrote with the C++
// code, for it to compare with transformers' rendering of kChatmlJinjaTemplate.
TEST_CASE("dump chatml renderings for the transformers parity check", "[.chat-parity-dump]") {
  const char* dir = std::getenv("FORENSICS_CHAT_PARITY_DIR");
  REQUIRE(dir != nullptr);  // set by chat_template_parity.py
  std::ifstream in(std::string(dir) + "/cases.json");
  REQUIRE(in);
  const Json cases = Json::parse(in);
  Json out = {{"template", std::string(kChatmlJinjaTemplate)}, {"cases", Json::array()}};
  for (const Json& item : cases) {
    Transcript transcript;
    for (const Json& message : item.at("messages")) {
      transcript.messages.push_back(message_from_json(message));
    }
    const auto rendered = render_transcript(transcript, ChatTemplate::kChatml);
    Json turns = Json::array();
    for (std::size_t i = 0; i < transcript.messages.size(); ++i) {
      if (transcript.messages[i].role != Role::kAssistant) continue;
      const MessageSpans& spans = rendered.messages[i];
      turns.push_back({{"index", i},
                       {"prompt", render_prompt(transcript, i, ChatTemplate::kChatml).text},
                       {"body", render_turn(transcript, i, ChatTemplate::kChatml).text},
                       {"body_begin", spans.body.begin},
                       {"body_end", spans.body.end}});
    }
    out["cases"].push_back(
        {{"name", item.at("name")},
         {"text", rendered.text},
         {"text_with_generation_prompt", render_transcript(transcript, ChatTemplate::kChatml, {true}).text},
         {"turns", std::move(turns)}});
  }
  std::ofstream(std::string(dir) + "/ours.json") << out.dump(1);
}

TEST_CASE("raw tool-call arguments (a string) are written verbatim by every format", "[chat]") {
  Transcript transcript;
  transcript.messages = {text_message(Role::kUser, "go"),
                         assistant("", std::nullopt, {bash_call("c1", Json(R"({"cmd": "rm -f x")"))})};
  for (const ChatTemplate chat_template : kBuiltIn) {
    const auto turn = render_turn(transcript, 1, chat_template);
    REQUIRE(turn.spans.tool_calls.size() == 1);
    CHECK(turn.spans.tool_calls[0].arguments.of(turn.text) == R"({"cmd": "rm -f x")");
  }
}

TEST_CASE("the reasoning markers come from the rendering; a turn's answer is what follows them", "[chat]") {
  const Transcript transcript = agent_transcript();
  const auto chatml = reasoning_markers(render_turn(transcript, 4, ChatTemplate::kChatml));
  CHECK(chatml.open == "<think>");
  CHECK(chatml.close == "</think>");
  const auto mistral = reasoning_markers(render_turn(transcript, 4, ChatTemplate::kMistral));
  CHECK(mistral.close == "[/THINK]");
  CHECK(answer_of("<think>\nNot rm -f x.\n</think>\n\ncat x", chatml) == "\n\ncat x");
  CHECK(answer_of("<think>\nrm -f x, and I never finish", chatml).empty());  // no answer given
  CHECK(answer_of("  rm -f x", chatml) == "  rm -f x");                      // no reasoning at all
  CHECK(answer_of("<think>\nrm\n</think>\nrm", ReasoningMarkers{}) == "<think>\nrm\n</think>\nrm");
  Transcript plain = transcript;
  plain.messages[4].reasoning.reset();
  const auto none = reasoning_markers(render_turn(plain, 4, ChatTemplate::kChatml));
  CHECK(none.open.empty());
  CHECK(none.close.empty());
}
