// The tokenizer pipeline: added tokens -> normalizer -> pre-tokenizer -> model ->
// post-processor; and decoding (docs/tokenizer.md).
#include "forensics/runtime/tokenizer.h"

#include <algorithm>

#include "added_vocabulary.h"
#include "components.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"
#include "forensics/util/sha256.h"

namespace forensics::runtime {

using namespace tokenizer_detail;
namespace fs = std::filesystem;

namespace {

// Tokenized to fingerprint a tokenizer's behaviour, not just its file: contractions, digits,
// whitespace runs, accents, CJK, a ZWJ emoji and special-looking text.
constexpr std::string_view kFingerprintProbe =
    "Hello, World! It's 2026-11-27: 1234567 tokens\t\t  and\r\n  \xC3\xA9t\xC3\xA9 "
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB "
    "<|endoftext|> <s> DON'T";

constexpr std::size_t kMaxTokenizerBytes = 512u << 20;

std::optional<std::string> token_name(const Json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const Json& value = config.at(key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string()) {
    return value.at("content").get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

struct Tokenizer::Impl {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  SpecialTokenNames names;
  std::string fingerprint;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_path(const fs::path& path) {
  std::error_code ec;
  const bool is_directory = fs::is_directory(path, ec);
  const fs::path file = is_directory ? path / "tokenizer.json" : path;
  const fs::path config = file.parent_path() / "tokenizer_config.json";
  std::string tokenizer_text;
  std::string config_text;
  try {
    tokenizer_text = util::read_text_file(file, kMaxTokenizerBytes);
    if (fs::exists(config, ec)) config_text = util::read_text_file(config, 64u << 20);
  } catch (const InputError& e) {
    throw ModelError(e.what());
  }
  return from_json(tokenizer_text, config_text, file.string());
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view config_json,
                               const std::string& source_name) {
  Json document;
  Json config = Json::object();
  try {
    document = util::parse_json_strict(tokenizer_json, source_name);
    if (!config_json.empty()) config = util::parse_json_strict(config_json, "tokenizer_config.json");
  } catch (const InputError& e) {
    throw TokenizerError(e.what());
  }
  if (!document.is_object()) throw TokenizerError(source_name + ": expected a JSON object");
  if (document.contains("version") && document["version"] != "1.0") {
    throw TokenizerError(source_name + ": unknown tokenizer.json version " + document["version"].dump() +
                         " (expected \"1.0\")");
  }
  for (const char* unused : {"truncation", "padding"}) {
    if (document.contains(unused) && !document[unused].is_null()) {
      util::log_warning(source_name + ": ignoring \"" + unused +
                        "\": forensics encodes whole transcripts, never truncated or padded");
    }
  }
  auto impl = std::make_unique<Impl>();
  auto component = [&](const char* key) -> std::optional<ConfigReader> {
    if (!document.contains(key) || document[key].is_null()) return std::nullopt;
    return ConfigReader(document[key], key);
  };
  if (auto normalizer = component("normalizer")) impl->normalizer = make_normalizer(*normalizer);
  if (auto pre = component("pre_tokenizer")) impl->pre_tokenizer = make_pre_tokenizer(*pre);
  const auto model = component("model");
  if (!model) throw TokenizerError(source_name + ": no \"model\"");
  impl->model = make_model(*model);
  if (auto post = component("post_processor")) impl->post_processor = make_post_processor(*post);
  if (auto decoder = component("decoder")) impl->decoder = make_decoder(*decoder);
  if (document.contains("added_tokens") && !document["added_tokens"].is_null()) {
    impl->added.load(document["added_tokens"], *impl->model, impl->normalizer.get());
  }
  if (config.is_object()) {
    impl->names = {token_name(config, "bos_token"), token_name(config, "eos_token"), token_name(config, "pad_token"),
                   token_name(config, "unk_token")};
  }

  Tokenizer tokenizer(std::move(impl));
  util::Sha256 hash;
  hash.update("forensics-tokenizer-fingerprint-v1");
  hash.update(tokenizer_json);
  hash.update(std::string_view("\0", 1));
  hash.update(config_json);
  for (auto id : tokenizer.encode(kFingerprintProbe, true).ids) hash.update("," + std::to_string(id));
  tokenizer.impl_->fingerprint = "sha256:" + hash.hex_digest();
  return tokenizer;
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const std::size_t invalid = unicode::find_invalid_utf8(text);
  if (invalid != std::string_view::npos) {
    throw InputError("text is not valid UTF-8 at byte offset " + std::to_string(invalid) +
                     "; forensics never alters text before the model sees it");
  }
  Encoding encoding;
  std::vector<NormalizedString> words;
  std::vector<ModelToken> model_tokens;
  for (auto& piece : impl_->added.extract_and_normalize(text, impl_->normalizer.get())) {
    if (piece.added_id) {
      encoding.ids.push_back(*piece.added_id);
      encoding.tokens.push_back(piece.text.get());
      const Span span = piece.text.original();
      encoding.offsets.emplace_back(span.begin, span.end);
      continue;
    }
    words.clear();
    if (impl_->pre_tokenizer) {
      impl_->pre_tokenizer->split(std::move(piece.text), words);
    } else {
      words.push_back(std::move(piece.text));
    }
    for (const auto& word : words) {
      if (word.empty()) continue;
      model_tokens.clear();
      impl_->model->tokenize(word.get(), model_tokens);
      for (const auto& token : model_tokens) {
        encoding.ids.push_back(token.id);
        const std::string* name = impl_->model->id_to_token(token.id);
        encoding.tokens.push_back(name != nullptr ? *name : std::string());
        const Span span = word.original_of(token.begin, token.end);
        encoding.offsets.emplace_back(span.begin, span.end);
      }
    }
  }
  if (impl_->post_processor) impl_->post_processor->process(encoding, add_special_tokens);
  return encoding;
}

std::string Tokenizer::decode(const std::vector<std::uint32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (auto id : ids) {
    if (const AddedToken* added = impl_->added.find_id(id)) {
      // The reference spells a normalized added token in its normalized form (tokenizers'
      // simple_id_to_token), e.g. a fullwidth "ＯＫ" under NFKC decodes as "OK".
      if (!(skip_special_tokens && added->special)) tokens.push_back(added->pattern);
    } else if (const std::string* token = impl_->model->id_to_token(id)) {
      // A model token spelled like a special added token counts as special too.
      const auto same = impl_->added.find_content(*token);
      const bool special = same && impl_->added.find_id(*same)->special;
      if (!(skip_special_tokens && special)) tokens.push_back(*token);
    }
  }
  if (!impl_->decoder) {
    std::string joined;
    for (std::size_t i = 0; i < tokens.size(); ++i) joined += (i > 0 ? " " : "") + tokens[i];
    return joined;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& token : tokens) out += token;
  return out;
}

std::vector<std::int64_t> Tokenizer::model_ids(std::string_view text) const {
  const auto ids = encode(text, /*add_special_tokens=*/false).ids;
  return {ids.begin(), ids.end()};
}

std::string Tokenizer::decode_model_ids(const std::vector<std::int64_t>& ids) const {
  std::vector<std::uint32_t> narrow;
  narrow.reserve(ids.size());
  for (const std::int64_t id : ids) {
    if (id >= 0 && id <= 0xFFFFFFFFLL) narrow.push_back(static_cast<std::uint32_t>(id));
  }
  return decode(narrow, /*skip_special_tokens=*/false);
}

std::optional<std::uint32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added.find_content(token)) return id;
  return impl_->model->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(std::uint32_t id) const {
  if (const AddedToken* added = impl_->added.find_id(id)) return added->pattern;
  if (const std::string* token = impl_->model->id_to_token(id)) return *token;
  return std::nullopt;
}

bool Tokenizer::is_special(std::uint32_t id) const {
  const AddedToken* added = impl_->added.find_id(id);
  return added != nullptr && added->special;
}

std::size_t Tokenizer::vocab_size() const {
  std::size_t extra = 0;
  for (const auto& token : impl_->added.tokens()) {
    if (impl_->model->id_to_token(token.id) == nullptr) ++extra;
  }
  return impl_->model->vocab_size() + extra;
}

std::size_t Tokenizer::id_bound() const {
  std::size_t bound = impl_->model->id_bound();
  for (const auto& token : impl_->added.tokens()) bound = std::max<std::size_t>(bound, std::size_t{token.id} + 1);
  return bound;
}

const SpecialTokenNames& Tokenizer::special_token_names() const { return impl_->names; }
const std::string& Tokenizer::fingerprint() const { return impl_->fingerprint; }

}  // namespace forensics::runtime
