// util: reading typed fields out of a JSON object while collecting, not throwing, every problem:
// wrong types, missing required fields, out-of-range numbers, and (at finish()) unknown fields.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/util/json.h"

#include "forensics/util/diagnostics.h"
#include "forensics/util/json_path.h"
#include "forensics/util/name_table.h"

namespace forensics::util {

enum class Need { kRequired, kOptional };

/// Reads the fields of one JSON object. Each accessor marks its key as known; `finish()` then
/// reports every key nobody asked for, with a "did you mean" when one is a likely typo.
/// When the value is not an object, the constructor records that and every read returns nothing.
class ObjectReader {
 public:
  ObjectReader(const Json& value, JsonPath path, Diagnostics& diagnostics);
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  bool is_object() const { return object_ != nullptr; }
  const JsonPath& path() const { return path_; }
  Diagnostics& diagnostics() { return diagnostics_; }
  bool has(std::string_view key);

  std::optional<std::string> string(std::string_view key, Need need);
  /// A string that must not be empty.
  std::optional<std::string> text(std::string_view key, Need need);
  std::optional<std::int64_t> integer(std::string_view key, Need need, std::int64_t min, std::int64_t max);
  std::optional<double> number(std::string_view key, Need need, double min, double max);
  std::optional<bool> boolean(std::string_view key, Need need);
  /// The raw value if present and of the given JSON type ("object" or "array"), else nullptr.
  const Json* object(std::string_view key, Need need);
  const Json* array(std::string_view key, Need need);
  /// The raw value of any type, or nullptr when absent; `expected` describes it in the
  /// missing-field message (the caller checks the type itself).
  const Json* any(std::string_view key, Need need, const char* expected = "a value");
  /// An array of strings; elements of other types are reported.
  std::optional<std::vector<std::string>> string_list(std::string_view key, Need need);

  template <class Enum, std::size_t N>
  std::optional<Enum> enumeration(std::string_view key, Need need, const NameTable<Enum, N>& table) {
    auto spelled = string(key, need);
    if (!spelled) return std::nullopt;
    auto value = table.parse(*spelled);
    if (!value) {
      diagnostics_.error(path_ / key, "expected " + table.choices() + ", got \"" + *spelled + "\"");
    }
    return value;
  }

  /// Reports unknown keys. Call once, after every read.
  void finish();

 private:
  const Json* lookup(std::string_view key, Need need, const char* expected);
  void type_error(std::string_view key, const char* expected, const Json& got);

  const Json* object_ = nullptr;
  JsonPath path_;
  Diagnostics& diagnostics_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace forensics::util
