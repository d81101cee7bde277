#include "forensics/incident/edit.h"

#include "forensics/util/text.h"

namespace forensics::incident {
namespace {

std::string quoted(const std::string& text) { return "\"" + util::abbreviate(text) + "\""; }

std::string* field_of(Message& message, MessageField field, std::size_t edit_index, std::size_t message_index) {
  if (field == MessageField::kContent) return &message.content;
  if (!message.reasoning) {
    throw EditError(edit_index, "message " + std::to_string(message_index) + " has no reasoning to edit");
  }
  return &*message.reasoning;
}

// Exactly one occurrence unless `all`: an edit that could hit several places would silently
// test something other than what its author meant.
std::size_t checked_occurrences(const std::string& haystack, const std::string& needle, bool all,
                                std::size_t edit_index, std::size_t message_index) {
  const std::size_t count = util::count_occurrences(haystack, needle);
  if (count == 0) {
    throw EditError(edit_index, "text " + quoted(needle) + " not found in message " + std::to_string(message_index));
  }
  if (count > 1 && !all) {
    throw EditError(edit_index, "text " + quoted(needle) + " occurs " + std::to_string(count) + " times in message " +
                                    std::to_string(message_index) + "; make it unique or set \"all\": true");
  }
  return count;
}

void replace_text(std::string& target, const std::string& find, const std::string& with) {
  std::string out;
  std::size_t from = 0;
  for (auto pos = target.find(find); pos != std::string::npos; pos = target.find(find, from)) {
    out.append(target, from, pos - from);
    out += with;
    from = pos + find.size();
  }
  out.append(target, from, std::string::npos);
  target = std::move(out);
}

void apply_text_edit(const Edit& edit, Message& message, std::size_t edit_index) {
  std::string& target = *field_of(message, edit.field, edit_index, edit.message);
  switch (edit.op) {
    case EditOp::kReplace:
      checked_occurrences(target, edit.find, edit.all, edit_index, edit.message);
      replace_text(target, edit.find, edit.text);
      break;
    case EditOp::kDelete:
      checked_occurrences(target, edit.find, edit.all, edit_index, edit.message);
      replace_text(target, edit.find, "");
      break;
    case EditOp::kInsert:
      if (edit.anchor == InsertAnchor::kStart) {
        target.insert(0, edit.text);
      } else if (edit.anchor == InsertAnchor::kEnd) {
        target += edit.text;
      } else {
        checked_occurrences(target, edit.find, false, edit_index, edit.message);
        const std::size_t pos = target.find(edit.find);
        target.insert(edit.anchor == InsertAnchor::kBefore ? pos : pos + edit.find.size(), edit.text);
      }
      break;
    default: break;
  }
}

}  // namespace

EditedTranscript apply_edits(const Transcript& transcript, std::size_t action_message, const std::vector<Edit>& edits) {
  EditedTranscript result{transcript, action_message};
  auto& messages = result.transcript.messages;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const Edit& edit = edits[i];
    const std::size_t limit = edit.op == EditOp::kAddMessage ? result.action_message : result.action_message - 1;
    if (result.action_message == 0 || edit.message > limit) {
      throw EditError(i, "message " + std::to_string(edit.message) + " is not before the action (message " +
                             std::to_string(result.action_message) +
                             " at this point); only the context before the action can be edited");
    }
    switch (edit.op) {
      case EditOp::kDropMessage:
        messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(edit.message));
        --result.action_message;
        break;
      case EditOp::kAddMessage:
        messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(edit.message),
                        edit.new_message.value_or(Message{}));
        ++result.action_message;
        break;
      default: apply_text_edit(edit, messages[edit.message], i); break;
    }
  }
  return result;
}

}  // namespace forensics::incident
