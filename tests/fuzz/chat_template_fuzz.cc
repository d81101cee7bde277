// A Jinja chat template, parsed and rendered on a conversation with a tool call.
#include "forensics/jinja/template.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const forensics::Json context = forensics::Json::parse(R"({
    "messages": [{"role": "system", "content": "You are an agent."}, {"role": "user", "content": "Fix it."},
                 {"role": "assistant", "content": "", "reasoning_content": "The monitor is slow.",
                  "tool_calls": [{"type": "function", "function": {"name": "bash", "arguments": {"cmd": "rm x"}}}]}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  return fuzz_one([&] { forensics::jinja::Template::parse(fuzz_text(data, size)).render(context); });
}
