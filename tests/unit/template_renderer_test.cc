// The model's own chat template as a renderer: on the chatml template it must give the built-in
// chatml's text and every span; on a real template (Qwen3) the prompt + turn invariant holds and
// the spans point at the verbatim texts.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/template_renderer.h"
#include "forensics/util/error.h"
#include "test_paths.h"

using namespace forensics;
using namespace forensics::incident;

namespace {

Message message_of(Role role, std::string content, std::optional<std::string> reasoning = std::nullopt,
                   std::vector<ToolCall> calls = {}, std::optional<std::string> call_id = std::nullopt) {
  Message message;
  message.role = role;
  message.content = std::move(content);
  message.reasoning = std::move(reasoning);
  message.tool_calls = std::move(calls);
  message.tool_call_id = std::move(call_id);
  if (message.role == Role::kTool) message.name = "bash";
  return message;
}

Transcript agent_transcript() {
  Transcript t;
  t.messages = {
      message_of(Role::kSystem, "You are DevAgent."),
      message_of(Role::kUser, "Fix the latency. ünï 🚀"),
      message_of(Role::kAssistant, "", "Check the config.", {{"call_1", "bash", Json{{"cmd", "cat c.yaml"}}}}),
      message_of(Role::kTool, "monitor: on", std::nullopt, {}, std::string("call_1")),
      message_of(Role::kAssistant, "Done.", "It is slow. Remove it.",
                 {{"call_2", "bash", Json{{"cmd", "rm c.yaml"}, {"force", true}}}}),
  };
  return t;
}

Format model_format(std::string source, std::string eos) {
  Format format;
  format.model = true;
  format.model_template =
      std::make_shared<const TemplateRenderer>(ModelChatTemplate{std::move(source), "test", Json{{"eos_token", eos}}});
  return format;
}

std::string read_fixture(const std::string& name) {
  std::ifstream file(std::string(FORENSICS_SOURCE_DIR) + "/tests/fixtures/chat_templates/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool same(const TextSpan& a, const TextSpan& b) { return a.begin == b.begin && a.end == b.end; }

}  // namespace

TEST_CASE("the chatml Jinja template as the model's own gives the built-in chatml's text and spans", "[incident]") {
  const Transcript transcript = agent_transcript();
  const Format format = model_format(std::string(kChatmlJinjaTemplate), "<|im_end|>");
  for (std::size_t count = 1; count <= transcript.messages.size(); ++count) {
    for (bool prompt : {false, true}) {
      const auto ours = render_messages(transcript, count, format, {prompt});
      const auto builtin = render_messages(transcript, count, ChatTemplate::kChatml, {prompt});
      REQUIRE(ours.text == builtin.text);
      REQUIRE(ours.messages.size() == builtin.messages.size());
      for (std::size_t m = 0; m < count; ++m) {
        CHECK(same(ours.messages[m].message, builtin.messages[m].message));
        CHECK(same(ours.messages[m].body, builtin.messages[m].body));
        CHECK(same(ours.messages[m].content, builtin.messages[m].content));
        CHECK(ours.messages[m].reasoning.has_value() == builtin.messages[m].reasoning.has_value());
        if (ours.messages[m].reasoning) CHECK(same(*ours.messages[m].reasoning, *builtin.messages[m].reasoning));
        REQUIRE(ours.messages[m].tool_calls.size() == builtin.messages[m].tool_calls.size());
        for (std::size_t c = 0; c < ours.messages[m].tool_calls.size(); ++c) {
          CHECK(same(ours.messages[m].tool_calls[c].arguments, builtin.messages[m].tool_calls[c].arguments));
        }
      }
    }
  }
  CHECK(end_of_turn(format) == "<|im_end|>");
}

TEST_CASE("Qwen3's own template: prompt + turn is the rendering, and spans point at the verbatim texts", "[incident]") {
  const Transcript transcript = agent_transcript();
  const Format format = model_format(read_fixture("Qwen-Qwen3-0.6B.jinja"), "<|im_end|>");
  const auto prompt = render_prompt(transcript, 4, format);
  const auto turn = render_turn(transcript, 4, format);
  CHECK(prompt.text + turn.text == render_messages(transcript, 5, format).text);
  REQUIRE(turn.spans.reasoning);
  CHECK(turn.spans.reasoning->of(turn.text) == "It is slow. Remove it.");
  CHECK(turn.spans.content.of(turn.text) == "Done.");
  REQUIRE(turn.spans.tool_calls.size() == 1);
  CHECK(turn.spans.tool_calls[0].arguments.of(turn.text) == R"({"cmd": "rm c.yaml", "force": true})");
  CHECK(prompt.messages[1].content.of(prompt.text) == "Fix the latency. ünï 🚀");
}

TEST_CASE("Qwen3 drops earlier reasoning: the prompt is what the model saw, and still cut into messages",
          "[incident]") {
  Transcript transcript;
  transcript.messages = {
      message_of(Role::kSystem, "You are DevAgent."),
      message_of(Role::kUser, "Look at the deploy."),
      message_of(Role::kAssistant, "It is red.", "First thoughts here."),
      message_of(Role::kUser, "Fix it then."),
      message_of(Role::kAssistant, "", "Second thoughts.", {{"call_9", "bash", Json{{"cmd", "rm m.yaml"}}}}),
  };
  const Format format = model_format(read_fixture("Qwen-Qwen3-0.6B.jinja"), "<|im_end|>");
  const auto prompt = render_prompt(transcript, 4, format);
  const auto turn = render_turn(transcript, 4, format);
  CHECK(prompt.text.find("First thoughts here.") == std::string::npos);  // the template drops it
  CHECK(prompt.text + turn.text == render_messages(transcript, 5, format).text);
  REQUIRE(turn.spans.reasoning);
  CHECK(turn.spans.reasoning->of(turn.text) == "Second thoughts.");
  REQUIRE(prompt.messages.size() == 4);
  CHECK_FALSE(prompt.messages[2].reasoning);
  CHECK(prompt.messages[2].content.of(prompt.text) == "It is red.");
  CHECK(prompt.messages[3].content.of(prompt.text) == "Fix it then.");
  for (std::size_t m = 1; m < prompt.messages.size(); ++m) {
    CHECK(prompt.messages[m].message.begin == prompt.messages[m - 1].message.end);  // they tile
  }
}

TEST_CASE("a template that shows assistant turns only while last is cut by searching each message's text",
          "[incident]") {
  const Format format = model_format(
      "{% for m in messages %}{% if m.role != 'assistant' or loop.last %}<{{ m.role }}>{{ m.content }}{% endif %}"
      "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
      "</s>");
  const Transcript transcript = agent_transcript();
  const auto rendered = render_messages(transcript, 4, format);
  CHECK(rendered.text == "<system>You are DevAgent.<user>Fix the latency. ünï 🚀<tool>monitor: on");
  CHECK(rendered.messages[3].content.of(rendered.text) == "monitor: on");
  CHECK(rendered.messages[3].message.end == rendered.text.size());
}
