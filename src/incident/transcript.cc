#include "forensics/incident/transcript.h"

namespace forensics::incident {
namespace {

void collect_strings(const Json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_structured()) {
    for (const auto& item : value) collect_strings(item, out);
  }
}

}  // namespace

std::vector<std::string> argument_strings(const ToolCall& call) {
  std::vector<std::string> out;
  collect_strings(call.arguments, out);
  return out;
}

}  // namespace forensics::incident
