#include "forensics/util/json_path.h"

#include <cctype>

namespace forensics::util {
namespace {

// Keys that look like identifiers print bare (`a.b`); anything else is quoted (`a["x y"]`) so a
// path stays unambiguous when users name things with dots or spaces.
bool is_plain_key(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

JsonPath JsonPath::operator/(std::string_view key) const {
  JsonPath next = *this;
  next.steps_.emplace_back(std::string(key));
  return next;
}

JsonPath JsonPath::operator/(std::size_t index) const {
  JsonPath next = *this;
  next.steps_.emplace_back(index);
  return next;
}

std::string JsonPath::to_string() const {
  if (steps_.empty()) return "(root)";
  std::string out;
  for (const auto& step : steps_) {
    if (const auto* index = std::get_if<std::size_t>(&step)) {
      out += "[" + std::to_string(*index) + "]";
      continue;
    }
    const auto& key = std::get<std::string>(step);
    if (is_plain_key(key)) {
      if (!out.empty()) out += ".";
      out += key;
    } else {
      out += "[\"";
      for (char c : key) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += "\"]";
    }
  }
  return out;
}

}  // namespace forensics::util
