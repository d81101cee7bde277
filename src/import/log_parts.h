// Shared by the log readers: errors that name where they are, and small conversions.
#pragma once

#include <string>

#include "forensics/import/imported_log.h"
#include "forensics/util/error.h"
#include "forensics/util/json_path.h"

namespace forensics::import::detail {

/// An InputError reading "SOURCE: PATH: message".
[[noreturn]] void fail(const std::string& source, const util::JsonPath& path, const std::string& message);

/// The string at `value[key]`, "" when absent or null; anything else fails.
std::string optional_string(const Json& value, const char* key, const std::string& source, const util::JsonPath& path);

/// The object `value[key]` or fails naming what it found instead.
const Json& required(const Json& value, const char* key, const std::string& source, const util::JsonPath& path);

/// Checks what the incident reader will check, here with the log's own positions: tool call ids
/// unique, every tool result answering an earlier call. `paths[i]` is message i's place in the log,
/// `id_field` the name the format gives a tool result's call id there.
void check_tool_links(const incident::Transcript& transcript, const std::vector<util::JsonPath>& paths,
                      const std::string& source, const char* id_field);

ImportedLog read_inspect_eval(const std::filesystem::path& path, const LogSelection& selection);
ImportedLog read_inspect_json(const Json& document, const std::filesystem::path& path, const LogSelection& selection);
ImportedLog read_openai(const Json& document, const std::filesystem::path& path, const LogSelection& selection);
ImportedLog read_anthropic(const Json& document, const std::filesystem::path& path, const LogSelection& selection);

}  // namespace forensics::import::detail
