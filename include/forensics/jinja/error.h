// jinja: the one error a template throws, with the template line it concerns and what kind of
// failure it is, so callers can tell a template that refuses a chat from one we cannot run.
#pragma once

#include <string>

#include "forensics/util/error.h"

namespace forensics::jinja {

enum class TemplateErrorKind {
  kSyntax,       // the template does not parse
  kUnsupported,  // a construct jinja2 has that this engine does not implement
  kRuntime,      // evaluation failed as it fails in jinja2 (undefined attribute, type error)
  kRaised,       // the template called raise_exception(message)
  kLimit,        // recursion depth, output size or loop length beyond the engine's limits
};

/// A template that cannot be parsed or rendered. what() reads "template line 12: filter
/// "wordwrap" is not supported"; for kRaised, message() is exactly the template's message.
class TemplateError : public InputError {
 public:
  TemplateError(TemplateErrorKind kind, int line, const std::string& message)
      : InputError(line > 0 ? "template line " + std::to_string(line) + ": " + message : message),
        kind_(kind),
        line_(line),
        message_(message) {}

  TemplateErrorKind kind() const { return kind_; }
  int line() const { return line_; }
  const std::string& message() const { return message_; }

 private:
  TemplateErrorKind kind_;
  int line_;
  std::string message_;
};

}  // namespace forensics::jinja
