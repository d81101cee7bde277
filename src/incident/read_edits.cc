// Reading transcript edits and the predictions attached to interventions and sweeps.
#include <limits>

#include "forensics/util/text.h"
#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace {

constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();

// `insert` takes exactly one of before / after / at, so where the text goes is never a guess.
bool read_insert_anchor(ObjectReader& reader, Edit& edit) {
  const bool has_before = reader.has("before");
  const bool has_after = reader.has("after");
  const bool has_at = reader.has("at");
  if (int(has_before) + int(has_after) + int(has_at) != 1) {
    reader.diagnostics().error(reader.path(), "insert needs exactly one of \"before\", \"after\" or \"at\"");
    return false;
  }
  if (has_at) {
    auto at = reader.string("at", Need::kRequired);
    if (at == "start") {
      edit.anchor = InsertAnchor::kStart;
    } else if (at == "end") {
      edit.anchor = InsertAnchor::kEnd;
    } else {
      if (at) reader.diagnostics().error(reader.path() / "at", "expected \"start\" or \"end\", got \"" + *at + "\"");
      return false;
    }
    return true;
  }
  const char* key = has_before ? "before" : "after";
  auto anchor = reader.text(key, Need::kRequired);
  if (!anchor) return false;
  edit.anchor = has_before ? InsertAnchor::kBefore : InsertAnchor::kAfter;
  edit.find = *anchor;
  return true;
}

}  // namespace

std::optional<Edit> read_edit(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  const std::size_t errors_before = diagnostics.error_count();
  Edit edit;
  auto op = reader.enumeration("op", Need::kRequired, kEditOpNames);
  if (!op) {
    reader.finish();
    return std::nullopt;
  }
  edit.op = *op;

  if (edit.op == EditOp::kAddMessage) {
    auto at = reader.integer("at", Need::kRequired, 0, kMaxIndex);
    if (const Json* message = reader.object("new_message", Need::kRequired)) {
      edit.new_message = read_message(*message, path / "new_message", diagnostics);
    }
    if (at) edit.message = static_cast<std::size_t>(*at);
  } else {
    auto index = reader.integer("message", Need::kRequired, 0, kMaxIndex);
    if (index) edit.message = static_cast<std::size_t>(*index);
  }

  const bool edits_text = edit.op == EditOp::kReplace || edit.op == EditOp::kDelete || edit.op == EditOp::kInsert;
  if (edits_text) {
    edit.field = reader.enumeration("field", Need::kOptional, kMessageFieldNames).value_or(MessageField::kContent);
  }
  if (edit.op == EditOp::kReplace || edit.op == EditOp::kDelete) {
    edit.find = reader.text("find", Need::kRequired).value_or("");
    edit.all = reader.boolean("all", Need::kOptional).value_or(false);
  }
  if (edit.op == EditOp::kReplace) {
    edit.text = reader.string("with", Need::kRequired).value_or("");
  }
  if (edit.op == EditOp::kInsert) {
    edit.text = reader.text("text", Need::kRequired).value_or("");
    read_insert_anchor(reader, edit);
  }
  reader.finish();
  if (diagnostics.error_count() > errors_before) return std::nullopt;
  return edit;
}

std::optional<std::vector<Edit>> read_edits(ObjectReader& reader, const char* key) {
  const Json* list = reader.array(key, Need::kRequired);
  if (list == nullptr) return std::nullopt;
  if (list->empty()) {
    reader.diagnostics().error(reader.path() / key, "expected at least one edit");
    return std::nullopt;
  }
  std::vector<Edit> edits;
  bool complete = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto edit = read_edit((*list)[i], reader.path() / key / i, reader.diagnostics());
    if (edit) {
      edits.push_back(std::move(*edit));
    } else {
      complete = false;
    }
  }
  if (!complete) return std::nullopt;
  return edits;
}

std::optional<std::vector<Prediction>> read_predictions(ObjectReader& reader,
                                                        const std::vector<Hypothesis>& hypotheses) {
  const Json* predicts = reader.object("predicts", Need::kRequired);
  if (predicts == nullptr) return std::nullopt;
  util::Diagnostics& diagnostics = reader.diagnostics();
  const JsonPath path = reader.path() / "predicts";
  std::vector<std::string> ids;
  for (const auto& hypothesis : hypotheses) ids.push_back(hypothesis.id);

  bool complete = true;
  for (const auto& [key, value] : predicts->items()) {
    bool known = false;
    for (const auto& id : ids) known = known || id == key;
    if (!known) {
      std::string message = "no hypothesis has id \"" + key + "\"";
      if (auto suggestion = util::closest_match(key, ids)) {
        message += " (did you mean \"" + *suggestion + "\"?)";
      }
      diagnostics.error(path / key, message);
      complete = false;
    }
  }
  std::vector<Prediction> out;
  for (const auto& hypothesis : hypotheses) {
    const auto it = predicts->find(hypothesis.id);
    if (it == predicts->end()) {
      diagnostics.error(path, "missing a prediction for hypothesis \"" + hypothesis.id + "\" (expected " +
                                  kDirectionNames.choices() + ")");
      complete = false;
      continue;
    }
    std::optional<Direction> direction;
    if (it->is_string()) direction = kDirectionNames.parse(it->get<std::string>());
    if (!direction) {
      diagnostics.error(path / hypothesis.id, "expected " + kDirectionNames.choices() + ", got " + it->dump());
      complete = false;
      continue;
    }
    out.push_back({hypothesis.id, *direction});
  }
  if (!complete) return std::nullopt;
  return out;
}

std::vector<std::string> read_confounds(ObjectReader& reader) {
  auto tags = reader.string_list("confounds", Need::kOptional).value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (!util::is_slug(tags[i])) {
      reader.diagnostics().error(reader.path() / "confounds" / i,
                                 "expected a tag of lowercase letters, digits, '.', '_' or '-', "
                                 "got \"" +
                                     util::abbreviate(tags[i]) + "\"");
    }
  }
  return tags;
}

}  // namespace forensics::incident::detail
