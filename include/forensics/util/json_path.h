// util: a location inside a JSON document, spelled as users read it
// (`transcript.messages[4].tool_calls[0].arguments`), so every error can say where it is.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace forensics::util {

/// An immutable path of object keys and array indices. Cheap to extend: `path / "key" / 3`.
class JsonPath {
 public:
  JsonPath() = default;

  JsonPath operator/(std::string_view key) const;
  JsonPath operator/(std::size_t index) const;

  /// `a.b[3]["odd key"]`; the root prints as `(root)`.
  std::string to_string() const;
  bool is_root() const { return steps_.empty(); }

 private:
  std::vector<std::variant<std::string, std::size_t>> steps_;
};

}  // namespace forensics::util
