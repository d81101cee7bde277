// Inspect eval logs (docs/import.md#inspect): `.eval` ZIP archives, one member per sample and
// epoch, and `.json` logs holding every sample. Messages become the transcript; reasoning
// content blocks become the chain of thought; `attachment://` references are resolved first.
#include <algorithm>
#include <set>

#include "forensics/import/lenient_json.h"
#include "forensics/import/zip_archive.h"
#include "forensics/util/json_document.h"
#include "log_parts.h"

namespace forensics::import::detail {

using incident::Message;
using incident::Role;
using util::JsonPath;

namespace {

constexpr std::string_view kAttachmentPrefix = "attachment://";

// Inspect moves long strings into sample.attachments and leaves "attachment://<hash>" in place.
void resolve_attachments(Json& value, const Json& attachments) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.compare(0, kAttachmentPrefix.size(), kAttachmentPrefix) == 0) {
      const auto found = attachments.find(text.substr(kAttachmentPrefix.size()));
      if (found != attachments.end() && found->is_string()) value = *found;
    }
  } else if (value.is_structured()) {
    for (auto& child : value) resolve_attachments(child, attachments);
  }
}

std::string join_lines(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : "\n") + parts[i];
  return out;
}

// `content` is a string or a list of content blocks; text blocks are joined with newlines, as
// Inspect's ChatMessage.text does, and reasoning blocks become the message's reasoning.
void read_content(const Json& content, Message& message, const std::string& source, const JsonPath& path) {
  if (content.is_null()) return;
  if (content.is_string()) {
    message.content = content.get<std::string>();
    return;
  }
  if (!content.is_array()) fail(source, path, "expected a string or a list of content blocks");
  std::vector<std::string> texts;
  std::vector<std::string> reasoning;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const JsonPath block_path = path / i;
    const std::string type = optional_string(content[i], "type", source, block_path);
    if (type == "text") {
      texts.push_back(optional_string(content[i], "text", source, block_path));
    } else if (type == "reasoning") {
      if (content[i].value("redacted", false)) {
        fail(source, block_path,
             "the reasoning is redacted (encrypted by the provider): the model saw text this log does not hold, "
             "so its prompt cannot be re-rendered");
      }
      reasoning.push_back(optional_string(content[i], "reasoning", source, block_path));
    } else {
      fail(source, block_path / "type",
           "content of type \"" + type + "\" cannot be given to a text model (text and reasoning can)");
    }
  }
  message.content = join_lines(texts);
  if (!reasoning.empty()) message.reasoning = join_lines(reasoning);
}

incident::ToolCall read_tool_call(const Json& call, const std::string& source, const JsonPath& path) {
  incident::ToolCall out;
  out.id = optional_string(call, "id", source, path);
  out.name = optional_string(call, "function", source, path);
  const Json& arguments = required(call, "arguments", source, path);
  if (!arguments.is_object()) {
    fail(source, path / "arguments", "expected the parsed arguments object, got " + util::json_type_name(arguments));
  }
  const std::string parse_error = optional_string(call, "parse_error", source, path);
  if (!parse_error.empty()) {
    fail(source, path / "parse_error",
         "the model's arguments did not parse (" + parse_error + "); Inspect keeps only what it could parse");
  }
  out.arguments = arguments;
  return out;
}

Message read_message(const Json& value, ImportedSample& sample, const std::string& source, const JsonPath& path) {
  Message message;
  const Json& role_value = required(value, "role", source, path);
  const std::string role_name = role_value.is_string() ? role_value.get<std::string>() : role_value.dump();
  const auto parsed = incident::kRoleNames.parse(role_name);
  if (!parsed) {
    fail(source, path / "role",
         "unknown message role \"" + role_name + "\" (system, user, assistant and tool are known)");
  }
  message.role = *parsed;
  read_content(value.contains("content") ? value["content"] : Json(), message, source, path / "content");
  if (message.role == Role::kAssistant) {
    // Inspect 0.3.62-0.3.70 kept the reasoning in a string field of its own.
    const std::string old_reasoning = optional_string(value, "reasoning", source, path);
    if (!old_reasoning.empty() && !message.reasoning) message.reasoning = old_reasoning;
    if (value.contains("tool_calls") && value["tool_calls"].is_array()) {
      for (std::size_t i = 0; i < value["tool_calls"].size(); ++i) {
        message.tool_calls.push_back(read_tool_call(value["tool_calls"][i], source, path / "tool_calls" / i));
      }
    }
  } else if (message.role == Role::kTool) {
    message.tool_call_id = optional_string(value, "tool_call_id", source, path);
    const std::string function = optional_string(value, "function", source, path);
    if (!function.empty()) message.name = function;
    if (value.contains("error") && value["error"].is_object()) {
      // Inspect leaves the content empty and sends the error's message to the model instead.
      const std::string error = optional_string(value["error"], "message", source, path / "error");
      if (message.content.empty()) message.content = error;
      sample.notes.push_back(path.to_string() +
                             " is a tool error; its message is taken as the tool result (how the "
                             "model's provider showed it is not recorded: check it)");
    }
  }
  return message;
}

// Inspect ids are strings or integers; both are matched as the text --sample gives.
std::string id_text(const Json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

ImportedSample read_sample(Json sample_json, const std::string& source) {
  ImportedSample sample;
  sample.origin = source;
  const JsonPath root;
  sample.id = id_text(required(sample_json, "id", source, root));
  if (sample_json.contains("epoch") && sample_json["epoch"].is_number_integer()) {
    sample.epoch = sample_json["epoch"].get<int>();
  }
  if (sample_json.contains("attachments") && sample_json["attachments"].is_object()) {
    const Json attachments = sample_json["attachments"];
    resolve_attachments(sample_json["messages"], attachments);
  }
  const Json& messages = required(sample_json, "messages", source, root);
  if (!messages.is_array() || messages.empty())
    fail(source, root / "messages", "expected a non-empty list of messages");
  std::vector<JsonPath> paths;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    paths.push_back(root / "messages" / i);
    sample.transcript.messages.push_back(read_message(messages[i], sample, source, paths.back()));
  }
  check_tool_links(sample.transcript, paths, source, "tool_call_id");
  if (sample_json.contains("error") && !sample_json["error"].is_null()) {
    sample.notes.push_back("the sample ended with an error in Inspect: the transcript may stop early");
  }
  return sample;
}

bool selected(const std::string& id, int epoch, const LogSelection& selection) {
  return (!selection.sample || *selection.sample == id) && (!selection.epoch || *selection.epoch == epoch);
}

// Converts one sample; when listing, a sample that cannot be imported is reported, not fatal.
template <class Read>
void add_sample(ImportedLog& log, const LogSelection& selection, Read&& read, const std::optional<std::string>& model) {
  try {
    ImportedSample sample = read();
    sample.model = model;
    log.samples.push_back(std::move(sample));
  } catch (const InputError& e) {
    if (!selection.skip_unreadable) throw;
    log.unreadable.push_back(e.what());
  }
}

std::optional<std::string> model_name(const Json& header) {
  if (header.contains("eval") && header["eval"].is_object() && header["eval"].contains("model") &&
      header["eval"]["model"].is_string()) {
    return header["eval"]["model"].get<std::string>();
  }
  return std::nullopt;
}

// "samples/{id}_epoch_{n}.json" -> id and epoch; ids may hold underscores, so split at the last "_epoch_".
std::optional<std::pair<std::string, int>> sample_member(const std::string& name) {
  const std::string prefix = "samples/";
  const std::string suffix = ".json";
  if (name.compare(0, prefix.size(), prefix) != 0 || name.size() < prefix.size() + suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  const std::string stem = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (stem.find('/') != std::string::npos) return std::nullopt;  // a file inside a chunked sample's folder
  const auto at = stem.rfind("_epoch_");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::make_pair(stem.substr(0, at), std::stoi(stem.substr(at + 7)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Inspect's chunked layout keeps each sample in a folder, samples/{id}_epoch_{n}/: sample.json
// (without messages, with `message_refs` ranges into the message pool), messages/{start}.json
// (the pool, in chunks), attachments/{start}.json (strings; "attachment://N" is the N-th).
constexpr std::string_view kChunkedSample = "/sample.json";

bool is_chunked_sample(const std::string& name) {
  return name.compare(0, 8, "samples/") == 0 && name.size() > kChunkedSample.size() &&
         name.compare(name.size() - kChunkedSample.size(), kChunkedSample.size(), kChunkedSample) == 0;
}

// The chunks `folder`/{start}.json concatenated in order; each must start where the last ended.
Json concatenated_chunks(const ZipArchive& archive, const std::string& folder, const std::string& source) {
  std::vector<std::pair<long long, std::string>> chunks;
  for (const auto& member : archive.members()) {
    if (member.name.compare(0, folder.size(), folder) != 0) continue;
    const std::string rest = member.name.substr(folder.size());
    if (rest.size() < 6 || rest.compare(rest.size() - 5, 5, ".json") != 0) continue;
    const std::string start = rest.substr(0, rest.size() - 5);
    if (start.empty() || start.find_first_not_of("0123456789") != std::string::npos) continue;
    chunks.emplace_back(std::stoll(start), member.name);
  }
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  Json pool = Json::array();
  for (const auto& [start, name] : chunks) {
    if (start != static_cast<long long>(pool.size())) {
      throw InputError(source + ": chunk " + name + " starts at " + std::to_string(start) + " but " +
                       std::to_string(pool.size()) + " items come before it");
    }
    const Json chunk = parse_python_json(archive.read(name), source + " " + name);
    if (!chunk.is_array()) throw InputError(source + ": " + name + " is not a list");
    for (const auto& item : chunk) pool.push_back(item);
  }
  return pool;
}

// A chunked sample reassembled into the one-member form read_sample reads.
Json chunked_sample(const ZipArchive& archive, const std::string& member, const std::string& source) {
  const std::string folder = member.substr(0, member.size() - kChunkedSample.size() + 1);
  Json sample = parse_python_json(archive.read(member), source);
  const Json pool = concatenated_chunks(archive, folder + "messages/", source);
  Json messages = Json::array();
  const Json& refs = required(sample, "message_refs", source, JsonPath());
  for (std::size_t r = 0; refs.is_array() && r < refs.size(); ++r) {
    const Json& range = refs[r];
    if (!range.is_array() || range.size() != 2 || !range[0].is_number_unsigned() || !range[1].is_number_unsigned() ||
        range[1].get<std::size_t>() > pool.size() || range[0].get<std::size_t>() > range[1].get<std::size_t>()) {
      fail(source, JsonPath() / "message_refs" / r,
           "expected [start, end] within the " + std::to_string(pool.size()) + " pooled messages");
    }
    for (std::size_t i = range[0].get<std::size_t>(); i < range[1].get<std::size_t>(); ++i) messages.push_back(pool[i]);
  }
  sample["messages"] = messages;
  Json attachments = Json::object();
  const Json strings = concatenated_chunks(archive, folder + "attachments/", source);
  for (std::size_t i = 0; i < strings.size(); ++i) attachments[std::to_string(i)] = strings[i];
  sample["attachments"] = attachments;
  return sample;
}

}  // namespace

ImportedLog read_inspect_eval(const std::filesystem::path& path, const LogSelection& selection) {
  const ZipArchive archive(path);
  if (!archive.contains("header.json")) {
    if (archive.contains("_journal/start.json")) {
      throw InputError(path.string() +
                       ": the log is still being written (only its journal is there, no header.json); wait for the "
                       "eval to finish, or run `inspect log convert` after it stops");
    }
    throw InputError(path.string() + ": has no header.json; it is not an Inspect .eval log");
  }
  ImportedLog log;
  log.format = LogFormat::kInspect;
  log.source = path;
  const auto model = model_name(parse_python_json(archive.read("header.json"), path.string() + ": header.json"));
  std::set<std::string> seen;  // a superseded member appears twice; read() takes the last
  for (const auto& member : archive.members()) {
    const bool chunked = is_chunked_sample(member.name);
    const auto parsed = sample_member(
        chunked ? member.name.substr(0, member.name.size() - kChunkedSample.size()) + ".json" : member.name);
    if (!parsed || !seen.insert(member.name).second) continue;
    if (!selected(parsed->first, parsed->second, selection)) continue;  // not wanted: not even decompressed
    const std::string source = path.string() + ": " + member.name;
    add_sample(
        log, selection,
        [&] {
          return read_sample(chunked ? chunked_sample(archive, member.name, source)
                                     : parse_python_json(archive.read(member.name), source),
                             source);
        },
        model);
  }
  return log;
}

ImportedLog read_inspect_json(const Json& document, const std::filesystem::path& path, const LogSelection& selection) {
  ImportedLog log;
  log.format = LogFormat::kInspect;
  log.source = path;
  const std::string status = optional_string(document, "status", path.string(), JsonPath());
  const auto samples = document.find("samples");
  if (samples == document.end() || !samples->is_array()) {
    throw InputError(path.string() + ": holds no samples (status \"" + status + "\")" +
                     (status == "started" ? ": the eval is still running" : ""));
  }
  const auto model = model_name(document);
  for (std::size_t i = 0; i < samples->size(); ++i) {
    const Json& sample = (*samples)[i];
    const std::string source = path.string() + ": samples[" + std::to_string(i) + "]";
    if (!sample.is_object() || !selected(id_text(sample.value("id", Json())), sample.value("epoch", 1), selection)) {
      continue;  // not wanted: not even converted
    }
    add_sample(
        log, selection, [&] { return read_sample(sample, source); }, model);
  }
  return log;
}

}  // namespace forensics::import::detail
