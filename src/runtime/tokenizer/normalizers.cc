// Normalizers: NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, Sequence.
#include <utf8proc.h>

#include "components.h"

namespace forensics::runtime::tokenizer_detail {
namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalForm form) : form_(form) {}
  void normalize(NormalizedString& text) const override { text.normalize(form_); }

 private:
  unicode::NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(NormalizedString& text) const override { text.lowercase(); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& text) const override { text.strip(left_, right_); }

 private:
  bool left_;
  bool right_;
};

// Drops nonspacing marks (category Mn), as tokenizers' StripAccents does.
class StripAccents final : public Normalizer {
 public:
  void normalize(NormalizedString& text) const override {
    text.map_chars([](char32_t c, std::string_view bytes, std::string& out) {
      if (c >= 0x80 && utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_MN) {
        return;
      }
      out.append(bytes);
    });
  }
};

class Replace final : public Normalizer {
 public:
  Replace(Pattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedString& text) const override { text.replace(pattern_.find(text.get()), content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

// Only non-empty pieces get the prefix (tokenizers' Prepend).
class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(NormalizedString& text) const override { text.prepend(prefix_); }

 private:
  std::string prefix_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(NormalizedString& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const ConfigReader& config) {
  const std::string type = config.type();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkd);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") {
    return std::make_unique<Strip>(config.boolean_or("strip_left", true), config.boolean_or("strip_right", true));
  }
  if (type == "Replace") {
    return std::make_unique<Replace>(Pattern::from_config(config, "pattern"), config.string("content"));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(config.string("prepend"));
  if (type == "Sequence") {
    return std::make_unique<Sequence>(make_each<Normalizer>(config, "normalizers", make_normalizer));
  }
  config.fail("unsupported normalizer type \"" + type +
              "\"; supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, "
              "Prepend, Sequence");
}

}  // namespace forensics::runtime::tokenizer_detail
