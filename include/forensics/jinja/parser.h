// jinja: tokens to a syntax tree, with jinja2's grammar and operator precedence. Constructs
// jinja2 has and this engine does not (extends, include, recursive loops, ...) fail here, before
// anything renders, naming the construct and its line.
#pragma once

#include <vector>

#include "forensics/jinja/ast.h"
#include "forensics/jinja/lexer.h"

namespace forensics::jinja {

struct ParserOptions {
  int max_depth = 128;  // nesting of blocks and expressions; deeper templates are refused
};

/// The template's statements. Throws TemplateError: kSyntax for malformed templates and unknown
/// filters or tests (jinja2 refuses those when compiling too), kUnsupported for constructs
/// jinja2 accepts that this engine does not run, kLimit past max_depth.
Body parse(const std::vector<Token>& tokens, const ParserOptions& options = {});

/// Whether the engine implements filter `name` / test `name` (for the parser's checks).
bool is_supported_filter(const std::string& name);
bool is_supported_test(const std::string& name);

}  // namespace forensics::jinja
