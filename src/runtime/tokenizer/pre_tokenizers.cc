// Pre-tokenizers: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit,
// Punctuation, Sequence.
#include "components.h"

namespace forensics::runtime::tokenizer_detail {
namespace {

SplitBehavior parse_behavior(const ConfigReader& config, const char* key, SplitBehavior fallback) {
  if (!config.has(key)) return fallback;
  const std::string name = config.string(key);
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  config.fail_at(key,
                 "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or "
                 "Contiguous, got \"" +
                     name + "\"");
}

const util::Regex& gpt2_regex() {
  // GPT-2's pattern, which ByteLevel applies when use_regex is set (docs/tokenizer.md).
  static const util::Regex regex(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
                                 util::RegexOptions{false, util::RegexSyntax::kOniguruma});
  return regex;
}

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    if (add_prefix_space_ && piece.get().rfind(' ', 0) != 0) piece.prepend(" ");
    std::vector<NormalizedString> parts;
    if (use_regex_) {
      std::vector<PatternPiece> pieces;
      std::size_t last = 0;
      for (const auto& match : gpt2_regex().find_all(piece.get())) {
        if (last != match.begin) pieces.push_back({last, match.begin, false});
        pieces.push_back({match.begin, match.end, true});
        last = match.end;
      }
      if (last != piece.get().size()) pieces.push_back({last, piece.get().size(), false});
      parts = piece.split(pieces, SplitBehavior::kIsolated);
    } else {
      parts.push_back(std::move(piece));
    }
    for (auto& part : parts) {
      part.map_chars([](char32_t, std::string_view bytes, std::string& mapped) {
        for (char byte : bytes) mapped += byte_to_char_utf8(static_cast<unsigned char>(byte));
      });
      out.push_back(std::move(part));
    }
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

class Split final : public PreTokenizer {
 public:
  Split(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    auto pieces = pattern_.find(piece.get());
    if (invert_) {
      for (auto& p : pieces) p.is_match = !p.is_match;
    }
    for (auto& part : piece.split(pieces, behavior_)) out.push_back(std::move(part));
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// A pre-tokenizer that splits on single characters chosen by a predicate.
template <class Predicate>
class CharSplit final : public PreTokenizer {
 public:
  CharSplit(Predicate predicate, SplitBehavior behavior) : predicate_(predicate), behavior_(behavior) {}

  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    for (auto& part : piece.split(find_chars(piece.get(), predicate_), behavior_)) {
      out.push_back(std::move(part));
    }
  }

 private:
  Predicate predicate_;
  SplitBehavior behavior_;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> char_split(Predicate predicate, SplitBehavior behavior) {
  return std::make_unique<CharSplit<Predicate>>(predicate, behavior);
}

enum class PrependScheme { kAlways, kFirst, kNever };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}

  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    piece.replace(Pattern::literal(" ").find(piece.get()), replacement_);
    const bool starts_with_replacement = piece.get().rfind(replacement_, 0) == 0;
    // "first": only the piece at the very start of the input, not one after an added token.
    if (!starts_with_replacement &&
        (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && piece.original().begin == 0))) {
      piece.prepend(replacement_);
    }
    if (!split_) {
      out.push_back(std::move(piece));
      return;
    }
    for (auto& part : piece.split(Pattern::literal(replacement_).find(piece.get()), SplitBehavior::kMergedWithNext)) {
      out.push_back(std::move(part));
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

// Runs of word characters and runs of other non-space characters; whitespace is dropped
// (tokenizers' Whitespace: the regex \w+|[^\w\s]+).
class Whitespace final : public PreTokenizer {
 public:
  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    const std::string& text = piece.get();
    enum Class { kSpace, kWord, kOther };
    std::size_t run_begin = 0;
    Class run_class = kSpace;
    auto flush = [&](std::size_t end) {
      if (run_class != kSpace && end > run_begin) out.push_back(piece.slice(run_begin, end));
    };
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t length = 0;
      const char32_t c = unicode::decode_at(text, pos, &length);
      const Class cls = unicode::is_word_char(c) ? kWord : unicode::is_whitespace(c) ? kSpace : kOther;
      if (cls != run_class) {
        flush(pos);
        run_begin = pos;
        run_class = cls;
      }
      pos += length;
    }
    flush(text.size());
  }
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}

  void split(NormalizedString piece, std::vector<NormalizedString>& out) const override {
    std::vector<NormalizedString> current;
    current.push_back(std::move(piece));
    for (const auto& step : steps_) {
      std::vector<NormalizedString> next;
      for (auto& part : current) {
        std::vector<NormalizedString> produced;
        step->split(std::move(part), produced);
        for (auto& p : produced) {
          if (!p.empty()) next.push_back(std::move(p));
        }
      }
      current = std::move(next);
    }
    for (auto& part : current) out.push_back(std::move(part));
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

std::string metaspace_replacement(const ConfigReader& config) {
  const std::string replacement = config.string_or("replacement", "\xE2\x96\x81");
  std::size_t length = 0;
  if (replacement.empty() || (unicode::decode_at(replacement, 0, &length), length) != replacement.size()) {
    config.fail_at("replacement", "expected a single character");
  }
  return replacement;
}

PrependScheme metaspace_scheme(const ConfigReader& config) {
  // Older files say add_prefix_space instead; false there means "never".
  if (config.has("add_prefix_space") && !config.boolean_or("add_prefix_space", true)) {
    return PrependScheme::kNever;
  }
  const std::string scheme = config.string_or("prepend_scheme", "always");
  if (scheme == "always") return PrependScheme::kAlways;
  if (scheme == "first") return PrependScheme::kFirst;
  if (scheme == "never") return PrependScheme::kNever;
  config.fail_at("prepend_scheme", "expected always, first or never, got \"" + scheme + "\"");
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const ConfigReader& config) {
  const std::string type = config.type();
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(config.boolean_or("add_prefix_space", true),
                                       config.boolean_or("use_regex", true));
  }
  if (type == "Split") {
    return std::make_unique<Split>(Pattern::from_config(config, "pattern"),
                                   parse_behavior(config, "behavior", SplitBehavior::kIsolated),
                                   config.boolean_or("invert", false));
  }
  if (type == "Digits") {
    return char_split(unicode::is_numeric, config.boolean_or("individual_digits", false) ? SplitBehavior::kIsolated
                                                                                         : SplitBehavior::kContiguous);
  }
  if (type == "Punctuation") {
    return char_split(unicode::is_punctuation, parse_behavior(config, "behavior", SplitBehavior::kIsolated));
  }
  if (type == "WhitespaceSplit") return char_split(unicode::is_whitespace, SplitBehavior::kRemoved);
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "Metaspace") {
    return std::make_unique<Metaspace>(metaspace_replacement(config), metaspace_scheme(config),
                                       config.boolean_or("split", true));
  }
  if (type == "Sequence") {
    return std::make_unique<Sequence>(make_each<PreTokenizer>(config, "pretokenizers", make_pre_tokenizer));
  }
  config.fail("unsupported pre-tokenizer type \"" + type +
              "\"; supported: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, "
              "Punctuation, Sequence");
}

}  // namespace forensics::runtime::tokenizer_detail
