// util: small text helpers shared by the stages: counting occurrences, edit distance for
// "did you mean" suggestions, identifier checks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensics::util {

/// Non-overlapping occurrences of `needle` (non-empty) in `haystack`.
std::size_t count_occurrences(std::string_view haystack, std::string_view needle);

/// Levenshtein distance in bytes.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is within 2 edits (a likely typo), else nothing.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// True for ids as the incident format spells them: `[a-z0-9][a-z0-9._-]*`, at most 64 bytes.
bool is_slug(std::string_view text);

/// A duration for people: "4.2 s" under a minute, "3 min 07 s" above.
std::string duration_text(double seconds);

/// `text` cut to `max_bytes` on a UTF-8 boundary, with `...` when cut, for quoting in messages.
std::string abbreviate(std::string_view text, std::size_t max_bytes = 60);

/// `text` with each byte that starts no valid UTF-8 sequence (overlong forms, surrogates and code
/// points past U+10FFFF included) replaced by U+FFFD, as lossy decoders do: e.g. a token's byte
/// offsets can cut a character, and JSON output must be valid UTF-8.
std::string valid_utf8(std::string_view text);

}  // namespace forensics::util
