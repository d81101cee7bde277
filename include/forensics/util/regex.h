// util: regular expressions on Oniguruma, the engine Hugging Face `tokenizers` uses, so the
// tokenizer and the action matchers share one engine with one set of semantics.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/util/error.h"

namespace forensics::util {

/// A pattern that does not compile. The message is Oniguruma's own (e.g. "end pattern at group").
class RegexError : public InputError {
 public:
  using InputError::InputError;
};

/// Perl syntax for patterns people write (matchers); Oniguruma's own syntax for tokenizer
/// patterns, which is what Hugging Face `tokenizers` compiles them with (the Rust `onig` crate's
/// default).
enum class RegexSyntax { kPerl, kOniguruma };

struct RegexOptions {
  bool case_insensitive = false;
  RegexSyntax syntax = RegexSyntax::kPerl;
};

/// A byte range [begin, end) of a match within the searched text.
struct RegexMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// A compiled UTF-8 pattern in Perl syntax (`\d`, `\s`, `\p{L}`, `(?i:...)`, lookaround).
/// Immutable after construction and safe to search from several threads.
class Regex {
 public:
  /// Throws RegexError when `pattern` does not compile.
  explicit Regex(std::string_view pattern, RegexOptions options = {});
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  /// The leftmost match starting at or after byte `start`. Throws Error when the engine gives up
  /// (its backtracking limit), so a pathological pattern fails instead of hanging.
  std::optional<RegexMatch> find(std::string_view text, std::size_t start = 0) const;
  bool contains_match(std::string_view text) const { return find(text).has_value(); }

  /// Every successive non-overlapping match, as the Rust `onig` crate's find_iter yields them:
  /// an empty match right where the previous match ended is skipped by one character.
  std::vector<RegexMatch> find_all(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace forensics::util
