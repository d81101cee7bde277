#include "forensics/util/regex.h"

#include <mutex>

#include <oniguruma.h>

namespace forensics::util {
namespace {

std::string onig_message(int code, OnigErrorInfo* info) {
  OnigUChar buffer[ONIG_MAX_ERROR_MESSAGE_LEN];
  const int length =
      info != nullptr ? onig_error_code_to_str(buffer, code, info) : onig_error_code_to_str(buffer, code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

void initialize_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

}  // namespace

struct Regex::Compiled {
  OnigRegex regex = nullptr;
  ~Compiled() {
    if (regex != nullptr) onig_free(regex);
  }
};

Regex::Regex(std::string_view pattern, RegexOptions options)
    : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  initialize_once();
  OnigErrorInfo error_info{};
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern_.data());
  const OnigOptionType onig_options = options.case_insensitive ? ONIG_OPTION_IGNORECASE : ONIG_OPTION_NONE;
  OnigSyntaxType* syntax = options.syntax == RegexSyntax::kPerl ? ONIG_SYNTAX_PERL_NG : ONIG_SYNTAX_ONIGURUMA;
  const int code = onig_new(&compiled_->regex, begin, begin + pattern_.size(), onig_options, ONIG_ENCODING_UTF8, syntax,
                            &error_info);
  if (code != ONIG_NORMAL) {
    compiled_->regex = nullptr;
    throw RegexError(onig_message(code, &error_info));
  }
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

std::optional<RegexMatch> Regex::find(std::string_view text, std::size_t start) const {
  if (start > text.size()) return std::nullopt;
  OnigRegion* region = onig_region_new();
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = begin + text.size();
  const int result = onig_search(compiled_->regex, begin, end, begin + start, end, region, ONIG_OPTION_NONE);
  std::optional<RegexMatch> match;
  if (result >= 0) {
    match = RegexMatch{static_cast<std::size_t>(region->beg[0]), static_cast<std::size_t>(region->end[0])};
  }
  onig_region_free(region, 1);
  if (result < 0 && result != ONIG_MISMATCH) {
    throw Error("regex /" + pattern_ + "/ failed while searching: " + onig_message(result, nullptr));
  }
  return match;
}

std::vector<RegexMatch> Regex::find_all(std::string_view text) const {
  std::vector<RegexMatch> matches;
  OnigRegion* region = onig_region_new();
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = begin + text.size();
  std::size_t from = 0;
  std::optional<std::size_t> last_match_end;
  int result = 0;
  while (from <= text.size()) {
    result = onig_search(compiled_->regex, begin, end, begin + from, end, region, ONIG_OPTION_NONE);
    if (result < 0) break;
    const auto match_begin = static_cast<std::size_t>(region->beg[0]);
    const auto match_end = static_cast<std::size_t>(region->end[0]);
    if (match_begin == match_end && last_match_end == match_end) {
      if (from >= text.size()) break;
      std::size_t step = 1;
      while (from + step < text.size() && (static_cast<unsigned char>(text[from + step]) & 0xC0) == 0x80) {
        ++step;
      }
      from += step;
      continue;
    }
    matches.push_back({match_begin, match_end});
    from = match_end;
    last_match_end = match_end;
  }
  onig_region_free(region, 1);
  if (result < 0 && result != ONIG_MISMATCH) {
    throw Error("regex /" + pattern_ + "/ failed while searching: " + onig_message(result, nullptr));
  }
  return matches;
}

}  // namespace forensics::util
