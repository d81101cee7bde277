// util: one table per enum that reaches JSON or the command line, so a value and its spelling
// are defined once and errors can list every accepted spelling. A table is checked when it is
// compiled: its rows list every enumerator, in declaration order, once, with distinct names, so
// a value added to an enum without a row does not build.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace forensics::util {

template <class Enum>
struct NameEntry {
  Enum value;
  std::string_view name;  // as written in JSON and on the command line
};

namespace detail {

template <auto Value>
constexpr std::string_view value_signature() {
  return __PRETTY_FUNCTION__;
}

/// Whether `static_cast<Enum>(I)` is a declared enumerator: GCC and Clang spell a value that is
/// not one as a cast, "Value = (ns::Enum)3", in the function signature.
template <class Enum, std::size_t I>
constexpr bool is_enumerator() {
  constexpr std::string_view signature = value_signature<static_cast<Enum>(I)>();
  constexpr std::size_t at = signature.find("Value = ");
  return at != std::string_view::npos && signature[at + 8] != '(';
}

}  // namespace detail

template <class Enum, std::size_t N>
class NameTable {
  static_assert(N > 0, "a name table needs rows");
  static_assert(!detail::is_enumerator<Enum, N>(),
                "the enum has more enumerators than its name table has rows: add a row for each");

 public:
  /// Used to initialise constexpr tables, where a throw is a compile error.
  constexpr explicit NameTable(std::array<NameEntry<Enum>, N> entries) : entries_(entries) {
    for (std::size_t i = 0; i < N; ++i) {
      if (entries_[i].value != static_cast<Enum>(i)) {
        throw std::logic_error("name table rows must list the enumerators in declaration order");
      }
      if (entries_[i].name.empty()) throw std::logic_error("a name table row has an empty name");
      for (std::size_t j = 0; j < i; ++j) {
        if (entries_[j].name == entries_[i].name) throw std::logic_error("two name table rows share a name");
      }
    }
  }

  /// The spelling of `value`.
  constexpr std::string_view name(Enum value) const { return entries_[static_cast<std::size_t>(value)].name; }

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
