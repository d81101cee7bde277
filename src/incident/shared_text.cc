#include "forensics/incident/shared_text.h"

#include <cstddef>
#include <limits>

namespace forensics::incident {
namespace {

// A span of the transcript as given that an edit changes. `whole` stands for every field of the
// message (a dropped message).
struct Span {
  std::size_t message = 0;
  MessageField field = MessageField::kContent;
  bool whole = false;
  std::size_t begin = 0;
  std::size_t end = 0;
};

const std::string* field_text(const Message& message, MessageField field) {
  if (field == MessageField::kContent) return &message.content;
  return message.reasoning ? &*message.reasoning : nullptr;
}

void add_occurrences(const Transcript& transcript, const Edit& edit, std::vector<Span>& spans) {
  if (edit.message >= transcript.messages.size() || edit.find.empty()) return;
  const std::string* text = field_text(transcript.messages[edit.message], edit.field);
  if (text == nullptr) return;
  for (auto pos = text->find(edit.find); pos != std::string::npos; pos = text->find(edit.find, pos + 1)) {
    spans.push_back({edit.message, edit.field, false, pos, pos + edit.find.size()});
    if (!edit.all) return;
  }
}

std::vector<Span> changed_spans(const Transcript& transcript, const std::vector<Edit>& edits) {
  std::vector<Span> spans;
  for (const Edit& edit : edits) {
    switch (edit.op) {
      case EditOp::kReplace:
      case EditOp::kDelete: add_occurrences(transcript, edit, spans); break;
      case EditOp::kInsert:  // adds text, changes none
        break;
      case EditOp::kDropMessage:
        spans.push_back({edit.message, MessageField::kContent, true, 0, std::numeric_limits<std::size_t>::max()});
        return spans;  // later edits see renumbered messages
      case EditOp::kAddMessage: return spans;
    }
  }
  return spans;
}

bool overlap(const Span& a, const Span& b) {
  if (a.message != b.message) return false;
  if (a.whole || b.whole) return true;
  return a.field == b.field && a.begin < b.end && b.begin < a.end;
}

bool any_overlap(const std::vector<Span>& a, const std::vector<Span>& b) {
  for (const Span& x : a) {
    for (const Span& y : b) {
      if (overlap(x, y)) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::vector<std::string>> implied_confounds(const Incident& incident) {
  const auto& interventions = incident.interventions;
  std::vector<std::vector<Span>> spans;
  for (const auto& intervention : interventions)
    spans.push_back(changed_spans(incident.transcript, intervention.edits));
  std::vector<std::vector<std::string>> tags(interventions.size());
  for (std::size_t a = 0; a < interventions.size(); ++a) {
    const std::string tag = "same-text." + interventions[a].id;
    for (std::size_t b = a + 1; b < interventions.size(); ++b) {
      if (!any_overlap(spans[a], spans[b])) continue;
      if (tags[a].empty() || tags[a].back() != tag) tags[a].push_back(tag);
      tags[b].push_back(tag);
    }
  }
  return tags;
}

}  // namespace forensics::incident
