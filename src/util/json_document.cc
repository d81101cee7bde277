#include "forensics/util/json_document.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/util/json_path.h"
#include "forensics/util/text.h"

namespace forensics::util {
namespace {

// The parser callback sees a flat stream of events; this rebuilds the path of the value being
// read so a duplicate key can be reported where it is, not just that it exists.
class DuplicateKeyDetector {
 public:
  explicit DuplicateKeyDetector(std::string source) : source_(std::move(source)) {}

  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        // Deeper documents would exhaust the stack of whoever walks them (ours and nlohmann's own
        // recursive copies and dumps): refuse them while reading.
        if (frames_.size() >= kMaxJsonDepth) {
          throw InputError(source_ + ": nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels at " +
                           abbreviate(current_path().to_string(), 60) + "; no file this tool reads needs that");
        }
        frames_.push_back(Frame{event == Json::parse_event_t::array_start, 0, {}, {}});
        break;
      case Json::parse_event_t::key: {
        Frame& frame = frames_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.seen_keys.insert(frame.key).second) {
          throw InputError(source_ + ": duplicate key \"" + frame.key + "\" at " + current_path().to_string() +
                           " (JSON objects must not repeat a key; only one value can be meant)");
        }
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        advance_array_index();
        break;
      case Json::parse_event_t::value: advance_array_index(); break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_array;
    std::size_t index;
    std::string key;
    std::set<std::string> seen_keys;
  };

  void advance_array_index() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
  }

  JsonPath current_path() const {
    JsonPath path;
    for (const auto& frame : frames_) {
      path = frame.is_array ? path / frame.index : path / frame.key;
    }
    return path;
  }

  std::string source_;
  std::vector<Frame> frames_;
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
  DuplicateKeyDetector detector(source_name);
  try {
    return Json::parse(text.begin(), text.end(), std::ref(detector));
  } catch (const Json::parse_error& e) {
    const auto [line, column] = line_and_column(text, e.byte);
    std::ostringstream message;
    message << source_name << ":" << line << ":" << column << ": invalid JSON: " << parse_error_detail(e.what());
    throw InputError(message.str());
  } catch (const Json::out_of_range& e) {  // a number beyond a double (1e400): nlohmann gives no position
    throw InputError(source_name + ": invalid JSON: " + parse_error_detail(e.what()));
  }
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
