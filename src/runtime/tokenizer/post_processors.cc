// Post-processors: TemplateProcessing (BOS/EOS when special tokens are requested), ByteLevel
// (offset trimming), Sequence.
#include <map>

#include "components.h"

namespace forensics::runtime::tokenizer_detail {
namespace {

struct SpecialTokenIds {
  std::vector<std::uint32_t> ids;
  std::vector<std::string> tokens;
};

// Only the single-sequence template applies: forensics always encodes one sequence.
class TemplateProcessing final : public PostProcessor {
 public:
  explicit TemplateProcessing(const ConfigReader& config) {
    const ConfigReader specials = config.child("special_tokens");
    for (const auto& [name, value] : specials.value().items()) {
      const ConfigReader special(value, specials.path() + "." + name);
      SpecialTokenIds entry;
      const Json& ids = special.at("ids");
      const Json& tokens = special.at("tokens");
      if (!ids.is_array() || !tokens.is_array() || ids.size() != tokens.size()) {
        special.fail("expected \"ids\" and \"tokens\" arrays of the same length");
      }
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_number_unsigned() || !tokens[i].is_string()) {
          special.fail("expected non-negative integer ids and string tokens");
        }
        entry.ids.push_back(ids[i].get<std::uint32_t>());
        entry.tokens.push_back(tokens[i].get<std::string>());
      }
      specials_.emplace(name, std::move(entry));
    }
    const Json& single = config.at("single");
    if (!single.is_array()) config.fail_at("single", "expected an array of template pieces");
    for (std::size_t i = 0; i < single.size(); ++i) {
      const ConfigReader piece = config.element(single[i], i, "single");
      if (piece.has("SpecialToken")) {
        const std::string id = piece.child("SpecialToken").string("id");
        if (specials_.count(id) == 0) {
          piece.fail("special token \"" + id + "\" is not in special_tokens");
        }
        pieces_.push_back(id);
      } else if (piece.has("Sequence")) {
        const std::string id = piece.child("Sequence").string("id");
        if (id != "A") piece.fail("a single-sequence template can only use sequence \"A\"");
        pieces_.push_back("");
      } else {
        piece.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
      }
    }
  }

  void process(Encoding& encoding, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    Encoding out;
    for (const auto& piece : pieces_) {
      if (piece.empty()) {
        out.ids.insert(out.ids.end(), encoding.ids.begin(), encoding.ids.end());
        out.tokens.insert(out.tokens.end(), encoding.tokens.begin(), encoding.tokens.end());
        out.offsets.insert(out.offsets.end(), encoding.offsets.begin(), encoding.offsets.end());
        continue;
      }
      const SpecialTokenIds& special = specials_.at(piece);
      out.ids.insert(out.ids.end(), special.ids.begin(), special.ids.end());
      out.tokens.insert(out.tokens.end(), special.tokens.begin(), special.tokens.end());
      out.offsets.insert(out.offsets.end(), special.ids.size(), {0, 0});
    }
    encoding = std::move(out);
  }

 private:
  std::map<std::string, SpecialTokenIds> specials_;
  std::vector<std::string> pieces_;  // special token names; "" for the sequence itself
};

// Offsets exclude the spaces a byte-level token carries ("Ġ"), as the reference trims them.
class ByteLevelProcessor final : public PostProcessor {
 public:
  ByteLevelProcessor(bool trim_offsets, bool add_prefix_space)
      : trim_offsets_(trim_offsets), add_prefix_space_(add_prefix_space) {}

  void process(Encoding& encoding, bool) const override {
    if (!trim_offsets_) return;
    const std::string& space = byte_to_char_utf8(' ');
    for (std::size_t i = 0; i < encoding.ids.size(); ++i) {
      const std::string& token = encoding.tokens[i];
      auto& [begin, end] = encoding.offsets[i];
      std::size_t leading = 0;
      while (token.compare(leading * space.size(), space.size(), space) == 0 &&
             (leading + 1) * space.size() <= token.size()) {
        ++leading;
      }
      std::size_t trailing = 0;
      while ((trailing + 1) * space.size() <= token.size() &&
             token.compare(token.size() - (trailing + 1) * space.size(), space.size(), space) == 0) {
        ++trailing;
      }
      const bool is_first = i == 0 || begin == 0;
      if (leading > 0 && !(is_first && add_prefix_space_ && leading == 1)) {
        begin = std::min(begin + leading, end);
      }
      if (trailing > 0 && end >= trailing) end = std::max(end - trailing, begin);
    }
  }

 private:
  bool trim_offsets_;
  bool add_prefix_space_;
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(Encoding& encoding, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(encoding, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const ConfigReader& config) {
  const std::string type = config.type();
  if (type == "TemplateProcessing") return std::make_unique<TemplateProcessing>(config);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelProcessor>(config.boolean_or("trim_offsets", true),
                                                config.boolean_or("add_prefix_space", true));
  }
  if (type == "Sequence") {
    return std::make_unique<SequenceProcessor>(make_each<PostProcessor>(config, "processors", make_post_processor));
  }
  config.fail("unsupported post-processor type \"" + type + "\"; supported: TemplateProcessing, ByteLevel, Sequence");
}

}  // namespace forensics::runtime::tokenizer_detail
