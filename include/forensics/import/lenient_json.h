// import: reading JSON as Python writes it. Python's json module writes the non-standard tokens
// NaN, Infinity and -Infinity for float values (Inspect logs hold them in scores and metrics);
// strict parsers reject them. Nothing the importer reads is such a number, so they become null.
#pragma once

#include <string>
#include <string_view>

#include "forensics/util/json.h"

namespace forensics::import {

/// `text` with every NaN, Infinity and -Infinity outside strings replaced by null (lines stay
/// where they were, so error positions still point at the right line).
std::string replace_python_non_finite(std::string_view text);

/// Parses Python-written JSON strictly apart from those tokens (util::parse_json_strict: syntax
/// errors with line:column, duplicate keys rejected). `source_name` names the file or member.
Json parse_python_json(std::string_view text, const std::string& source_name);

}  // namespace forensics::import
