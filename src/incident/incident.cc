#include "forensics/incident/incident.h"

namespace forensics::incident {
namespace {

std::string substituted(std::string text, const std::string& value) {
  const std::string placeholder = kSweepPlaceholder;
  for (auto pos = text.find(placeholder); pos != std::string::npos; pos = text.find(placeholder, pos + value.size())) {
    text.replace(pos, placeholder.size(), value);
  }
  return text;
}

}  // namespace

std::vector<Edit> sweep_edits_for(const Sweep& sweep, const SweepValue& value) {
  std::vector<Edit> edits = sweep.edits;
  for (auto& edit : edits) {
    edit.find = substituted(edit.find, value.label);
    edit.text = substituted(edit.text, value.label);
    if (edit.new_message) {
      edit.new_message->content = substituted(edit.new_message->content, value.label);
    }
  }
  return edits;
}

}  // namespace forensics::incident
