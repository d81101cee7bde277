// util: one table per enum that reaches JSON or the command line, so a value and its spelling
// are defined once and errors can list every accepted spelling.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace forensics::util {

template <class Enum>
struct NameEntry {
  Enum value;
  std::string_view name;  // lowercase kebab-case, as written in JSON and on the command line
};

template <class Enum, std::size_t N>
class NameTable {
 public:
  constexpr explicit NameTable(std::array<NameEntry<Enum>, N> entries) : entries_(entries) {}

  /// The spelling of `value`; every enumerator must have a row (checked by unit tests).
  constexpr std::string_view name(Enum value) const {
    for (const auto& entry : entries_) {
      if (entry.value == value) return entry.name;
    }
    return "?";
  }

  constexpr std::optional<Enum> parse(std::string_view text) const {
    for (const auto& entry : entries_) {
      if (entry.name == text) return entry.value;
    }
    return std::nullopt;
  }

  /// `"a", "b" or "c"`, for messages.
  std::string choices() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) out += (i + 1 == N) ? " or " : ", ";
      out += "\"" + std::string(entries_[i].name) + "\"";
    }
    return out;
  }

  constexpr const std::array<NameEntry<Enum>, N>& entries() const { return entries_; }

 private:
  std::array<NameEntry<Enum>, N> entries_;
};

}  // namespace forensics::util
