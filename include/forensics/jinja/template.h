// jinja: the public entry point. A Hugging Face chat template parsed once and rendered with a
// JSON context, as transformers' apply_chat_template renders it (the jinja2 environment of
// transformers' chat_template_utils.py: trim_blocks, lstrip_blocks, loopcontrols, no autoescape,
// default Undefined, tojson with ensure_ascii=False, raise_exception, strftime_now).
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "forensics/jinja/ast.h"
#include "forensics/jinja/error.h"
#include "forensics/util/json.h"

namespace forensics::jinja {

/// Limits that keep a hostile template from crashing or hanging the process, and the clock.
struct RenderOptions {
  int max_depth = 200;                              // nested macro calls, loops and expressions
  std::size_t max_output_bytes = 64 * 1024 * 1024;  // the rendered text
  long long max_steps = 50'000'000;                 // loop iterations and macro calls together
  std::size_t max_range = 100'000;                  // range() length, as jinja2's sandbox caps it
  /// What strftime_now() formats; absent: the local time now. Set it for reproducible renders.
  std::optional<std::tm> now;
};

class Template {
 public:
  /// Parses `source`. Throws TemplateError (kSyntax, kUnsupported or kLimit) naming the line.
  static Template parse(std::string_view source);

  /// Renders with `context`'s keys as variables (messages, tools, add_generation_prompt,
  /// bos_token, ...). A key absent from the context is undefined, as in jinja2. Throws
  /// TemplateError: kRaised from raise_exception(msg) with message() == msg, kRuntime where jinja2
  /// raises, kLimit past `options`.
  std::string render(const Json& context, const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const Body> body) : body_(std::move(body)) {}
  std::shared_ptr<const Body> body_;
};

}  // namespace forensics::jinja
