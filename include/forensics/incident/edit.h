// incident: edits of a transcript (replace, delete or insert text; drop or add a message), the
// building block of interventions and sweeps. Applying them is exact or fails loudly: an edit
// whose text is not found is an error, never a silent no-op.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/transcript.h"
#include "forensics/util/error.h"
#include "forensics/util/name_table.h"

namespace forensics::incident {

enum class EditOp { kReplace, kDelete, kInsert, kDropMessage, kAddMessage };
inline constexpr util::NameTable kEditOpNames{std::array{
    util::NameEntry<EditOp>{EditOp::kReplace, "replace"},
    util::NameEntry<EditOp>{EditOp::kDelete, "delete"},
    util::NameEntry<EditOp>{EditOp::kInsert, "insert"},
    util::NameEntry<EditOp>{EditOp::kDropMessage, "drop-message"},
    util::NameEntry<EditOp>{EditOp::kAddMessage, "add-message"},
}};

/// Where `insert` puts its text.
enum class InsertAnchor { kBefore, kAfter, kStart, kEnd };

struct Edit {
  EditOp op = EditOp::kReplace;
  std::size_t message = 0;  // the message edited or dropped; for add-message, its new index
  MessageField field = MessageField::kContent;
  std::string find;  // replace/delete: the text to find; insert before/after: the anchor
  std::string text;  // replace: the replacement; insert: the inserted text
  bool all = false;  // replace/delete: every occurrence; otherwise exactly one must exist
  InsertAnchor anchor = InsertAnchor::kEnd;
  std::optional<Message> new_message;  // add-message
};

/// An edit that cannot be applied. `edit_index` is its position in the list.
class EditError : public InputError {
 public:
  EditError(std::size_t edit_index, const std::string& message) : InputError(message), edit_index_(edit_index) {}
  std::size_t edit_index() const { return edit_index_; }

 private:
  std::size_t edit_index_;
};

struct EditedTranscript {
  Transcript transcript;
  std::size_t action_message = 0;  // where the action's message moved to
};

/// Applies `edits` in order, each to the result of the previous one. Only messages before the
/// action may change (the action's turn is what the probes regenerate). Throws EditError when an
/// edit targets a missing message, the action or later, or text that is absent or ambiguous.
EditedTranscript apply_edits(const Transcript& transcript, std::size_t action_message, const std::vector<Edit>& edits);

}  // namespace forensics::incident
