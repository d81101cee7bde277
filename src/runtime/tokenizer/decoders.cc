// Decoders: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, BPEDecoder, WordPiece,
// Sequence.
#include "components.h"

namespace forensics::runtime::tokenizer_detail {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  std::size_t last = 0;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, last)) {
    out.append(text, last, at - last);
    out.append(to);
    last = at + from.size();
  }
  out.append(text, last, std::string::npos);
  text = std::move(out);
}

// Characters back to bytes; a token with a character outside the alphabet (an added token)
// contributes its own bytes. Invalid UTF-8 becomes U+FFFD.
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& token : tokens) {
      std::string mapped;
      bool all_mapped = true;
      for (std::size_t pos = 0; pos < token.size();) {
        std::size_t length = 0;
        const auto byte = char_to_byte(unicode::decode_at(token, pos, &length));
        if (!byte) {
          all_mapped = false;
          break;
        }
        mapped += static_cast<char>(*byte);
        pos += length;
      }
      bytes += all_mapped ? mapped : token;
    }
    tokens.assign(1, unicode::from_utf8_lossy(bytes));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool prepended)
      : replacement_(std::move(replacement)), prepended_(prepended) {}
  // Every replacement character becomes a space, except in the first token, where they are
  // dropped when the pre-tokenizer prepended one.
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      replace_all(tokens[i], replacement_, i == 0 && prepended_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool prepended_;
};

// Runs of <0xNN> tokens become the text of those bytes, or one U+FFFD per byte when invalid.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    std::size_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      if (unicode::find_invalid_utf8(pending) == std::string::npos) {
        out.push_back(pending);
      } else {
        for (std::size_t i = 0; i < pending_count; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& token : tokens) {
      if (auto byte = parse_byte(token)) {
        pending += static_cast<char>(*byte);
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static std::optional<unsigned char> parse_byte(const std::string& token) {
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int high = hex(token[3]);
    const int low = hex(token[4]);
    if (high < 0 || low < 0) return std::nullopt;
    return static_cast<unsigned char>(high * 16 + low);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const auto& token : tokens) joined += token;
    tokens.assign(1, joined);
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) {
      std::size_t begin = 0;
      for (std::size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0 &&
                              begin + content_.size() <= token.size();
           ++i) {
        begin += content_.size();
      }
      std::size_t end = token.size();
      for (std::size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                              token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  std::size_t start_;
  std::size_t stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) {
      std::string out;
      for (const auto& piece : pattern_.find(token)) {
        if (piece.is_match) {
          out += content_;
        } else {
          out.append(token, piece.begin, piece.end - piece.begin);
        }
      }
      token = std::move(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token.insert(0, " ");
        }
      }
      if (cleanup_) {
        static const std::pair<const char*, const char*> kCleanup[] = {
            {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
            {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        for (const auto& [from, to] : kCleanup) replace_all(token, from, to);
      }
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

std::size_t count_field(const ConfigReader& config, const char* key) {
  const auto value = config.integer_or(key, 0);
  if (value < 0) config.fail_at(key, "expected a non-negative count");
  return static_cast<std::size_t>(value);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const ConfigReader& config) {
  const std::string type = config.type();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    bool prepended = config.string_or("prepend_scheme", "always") != "never";
    if (config.has("add_prefix_space") && !config.boolean_or("add_prefix_space", true)) {
      prepended = false;
    }
    return std::make_unique<MetaspaceDecoder>(config.string_or("replacement", "\xE2\x96\x81"), prepended);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(config.string("content"), count_field(config, "start"),
                                          count_field(config, "stop"));
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(Pattern::from_config(config, "pattern"), config.string("content"));
  }
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(config.string_or("suffix", "</w>"));
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(config.string_or("prefix", "##"), config.boolean_or("cleanup", true));
  }
  if (type == "Sequence") {
    return std::make_unique<SequenceDecoder>(make_each<Decoder>(config, "decoders", make_decoder));
  }
  config.fail("unsupported decoder type \"" + type +
              "\"; supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, "
              "BPEDecoder, WordPiece, Sequence");
}

}  // namespace forensics::runtime::tokenizer_detail
