#include "forensics/util/json_document.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/util/json_path.h"
#include "forensics/util/text.h"

namespace forensics::util {
namespace {

// Builds the document from nlohmann's SAX events. nlohmann's own DOM parser inserts each key of an
// ordered_json object with a linear search for it, so an object of n keys costs n^2 / 2 string
// comparisons (a 128k-token vocabulary, or a safetensors header listing 100k tensors, took tens
// of seconds); keys are appended here in O(1), duplicates being refused as they are read. It also
// tracks the path of the value being read, so a duplicate key or excessive nesting is reported
// where it is.
class StrictDocumentBuilder {
 public:
  StrictDocumentBuilder(Json& root, std::string source) : root_(root), source_(std::move(source)) {}

  bool null() { return add(Json(nullptr)); }
  bool boolean(bool value) { return add(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return add(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return add(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) { return add(Json(value)); }
  bool string(Json::string_t& value) { return add(Json(std::move(value))); }
  bool binary(Json::binary_t& value) { return add(Json::binary(std::move(value))); }
  bool start_object(std::size_t /*size*/) { return enter(Json::object(), false); }
  bool start_array(std::size_t /*size*/) { return enter(Json::array(), true); }
  bool end_object() { return leave(); }
  bool end_array() { return leave(); }

  bool key(Json::string_t& key) {
    Frame& frame = frames_.back();
    if (!frame.seen_keys.insert(key).second) {
      frame.key = key;
      throw InputError(source_ + ": duplicate key \"" + key + "\" at " + current_path().to_string() +
                       " (JSON objects must not repeat a key; only one value can be meant)");
    }
    frame.key = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*token*/, const nlohmann::detail::exception& error) {
    position_ = position;
    detail_ = error.what();
    return false;
  }

  std::size_t error_position() const { return position_; }
  const std::string& error_detail() const { return detail_; }

 private:
  struct Frame {
    Json* value;
    bool is_array;
    std::size_t index;
    std::string key;
    std::unordered_set<std::string> seen_keys;
  };

  /// Places `value` in the container being read (or as the root); returns where it now is.
  Json* place(Json&& value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.is_array) {
      auto& array = frame.value->get_ref<Json::array_t&>();
      frame.index = array.size();  // the element being read, for paths in messages
      array.push_back(std::move(value));
      return &array.back();
    }
    // The ordered map's own vector: the key is new (checked in key()), so no search is needed.
    auto& entries = static_cast<Json::object_t::Container&>(frame.value->get_ref<Json::object_t&>());
    entries.emplace_back(frame.key, std::move(value));
    return &entries.back().second;
  }

  bool add(Json&& value) {
    place(std::move(value));
    return true;
  }

  bool enter(Json&& container, bool is_array) {
    // Deeper documents would exhaust the stack of whoever walks them (ours and nlohmann's own
    // recursive copies and dumps): refuse them while reading.
    if (frames_.size() >= kMaxJsonDepth) {
      throw InputError(source_ + ": nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels at " +
                       abbreviate(current_path().to_string(), 60) + "; no file this tool reads needs that");
    }
    Json* placed = place(std::move(container));
    frames_.push_back(Frame{placed, is_array, 0, {}, {}});
    return true;
  }

  bool leave() {
    frames_.pop_back();
    return true;
  }

  JsonPath current_path() const {
    JsonPath path;
    for (const auto& frame : frames_) path = frame.is_array ? path / frame.index : path / frame.key;
    return path;
  }

  Json& root_;
  std::string source_;
  std::vector<Frame> frames_;
  std::size_t position_ = 0;
  std::string detail_;
};

// nlohmann reports a 1-based byte count; users want the line and column of the offending
// character.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t byte) {
  std::size_t line = 1;
  std::size_t column = 1;
  const std::size_t end = std::min(text.size(), byte > 0 ? byte - 1 : 0);
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// Drops nlohmann's `[json.exception.parse_error.101] parse error at line 1, column 2: ` prefix,
// since the location is printed in the compiler-style prefix instead.
std::string parse_error_detail(const std::string& what) {
  const auto column = what.find("column ");
  if (column != std::string::npos) {
    const auto colon = what.find(": ", column);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

}  // namespace

Json parse_json_strict(std::string_view text, const std::string& source_name) {
  // nlohmann's lexer takes a NUL byte for the end of input, so "1\0anything" read as 1 and the
  // rest was silently dropped (found by fuzzing); JSON text never holds a raw NUL.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    const auto [line, column] = line_and_column(text, nul + 1);
    throw InputError(source_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                     ": invalid JSON: a NUL byte (JSON text never holds one; is this a binary file?)");
  }
  Json document;
  StrictDocumentBuilder builder(document, source_name);
  if (Json::sax_parse(text.begin(), text.end(), &builder)) return document;
  // A syntax error, invalid UTF-8, or a number beyond a double (1e400).
  const auto [line, column] = line_and_column(text, builder.error_position());
  std::ostringstream message;
  message << source_name << ":" << line << ":" << column
          << ": invalid JSON: " << parse_error_detail(builder.error_detail());
  throw InputError(message.str());
}

void require_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  // A FIFO, socket or device would block or never end: only regular files are read.
  if (!std::filesystem::exists(status) || std::filesystem::is_regular_file(status)) return;
  if (std::filesystem::is_directory(status)) {
    throw InputError("cannot read " + path.string() + ": it is a directory, expected a file");
  }
  const char* kind = std::filesystem::is_fifo(status)     ? "a FIFO (named pipe)"
                     : std::filesystem::is_socket(status) ? "a socket"
                     : std::filesystem::is_character_file(status) || std::filesystem::is_block_file(status)
                         ? "a device"
                         : "not a regular file";
  throw InputError("cannot read " + path.string() + ": it is " + std::string(kind) + ", expected a regular file");
}

std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::string content;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      throw InputError("cannot read " + path.string() + ": larger than the " + std::to_string(max_bytes) +
                       "-byte limit for this kind of file");
    }
  }
  if (in.bad()) {
    throw InputError("cannot read " + path.string() + ": I/O error");
  }
  return content;
}

std::string json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::null: return "null";
    default: return "unsupported value";
  }
}

}  // namespace forensics::util
