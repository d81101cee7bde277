#include "forensics/incident/incident.h"

#include <algorithm>

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

std::string task_text(const Incident& incident) {
  std::vector<std::string> finds;
  for (const auto& intervention : incident.interventions) {
    for (const auto& edit : intervention.edits) {
      if (!edit.find.empty()) finds.push_back(edit.find);
    }
  }
  // Longest first, so a text that contains another is taken out whole.
  std::sort(finds.begin(), finds.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string out;
  const auto& messages = incident.transcript.messages;
  for (std::size_t m = 0; m < messages.size() && m < incident.action.message; ++m) {
    std::string text = messages[m].content;
    for (const auto& call : messages[m].tool_calls) text += "\n" + call.name + "\n" + call.arguments.dump();
    if (messages[m].reasoning) text += "\n" + *messages[m].reasoning;
    for (const auto& find : finds) {
      for (std::size_t at = text.find(find); at != std::string::npos; at = text.find(find, at)) {
        text.replace(at, find.size(), "\n");
      }
    }
    out += text + "\n";
  }
  return out;
}

}  // namespace forensics::incident
