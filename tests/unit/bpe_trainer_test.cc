// The byte-level BPE trainer on small corpora: which merges it picks, its limits, determinism,
// and that what it writes loads in our Tokenizer and encodes every text. Parity with Hugging Face
// `tokenizers` on the trained file is tests/parity/bpe_trainer_parity.py, which runs the hidden
// [bpe-parity] case below as its driver.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "forensics/runtime/bpe_trainer.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"
#include "forensics/util/json_document.h"

using Catch::Matchers::Contains;
using forensics::InputError;
using forensics::Json;
using forensics::runtime::AddedTokenSpec;
using forensics::runtime::BpeTrainerOptions;
using forensics::runtime::Tokenizer;
using forensics::runtime::train_byte_level_bpe;

namespace {

Tokenizer load(const Json& document) { return Tokenizer::from_json(document.dump(), "", "trained.json"); }

std::vector<std::string> merges_of(const Json& document) {
  std::vector<std::string> out;
  for (const auto& merge : document["model"]["merges"]) {
    out.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
  }
  return out;
}

const std::vector<AddedTokenSpec> kChatTokens = {
    {"<|endoftext|>", true}, {"<|im_start|>", true}, {"<|im_end|>", true}, {"<think>", false}, {"</think>", false}};

// A few templated ChatML transcripts, like the synthetic ones model organisms train on.
std::vector<std::string> chat_corpus() {
  std::vector<std::string> corpus;
  const std::vector<std::string> users = {"What is the capital of France?", "Summarize the report.",
                                          "How many apples are left?", "Translate \"hello\"."};
  const std::vector<std::string> replies = {"The capital of France is Paris.",
                                            "The report says revenue grew 12% in 2025.", "There are 3 apples left.",
                                            "\"Bonjour\" means hello."};
  for (int round = 0; round < 25; ++round) {
    for (std::size_t i = 0; i < users.size(); ++i) {
      corpus.push_back(
          "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
          "<|im_start|>user\n" +
          users[i] +
          "<|im_end|>\n<|im_start|>assistant\n"
          "<think>\nThe user asks something simple.\n</think>\n\n" +
          replies[i] + "<|im_end|>\n<|endoftext|>");
    }
  }
  return corpus;
}

}  // namespace

TEST_CASE("the BPE trainer merges the most frequent pair first, ties to the smallest strings", "[bpe]") {
  BpeTrainerOptions options;
  options.vocab_size = 300;
  // Words "hello", "Ġhello" (twice), "Ġworld": every pair inside "hello" is seen 3 times, so
  // ties decide: "e l" < "h e" < "l l" < "l o" bytewise.
  const Json document = train_byte_level_bpe({"hello hello hello world"}, options);
  CHECK(merges_of(document) == std::vector<std::string>{"e l", "el l", "ell o", "h ello", "\xC4\xA0 hello"});
  // The pair "Ġ w" is seen once, below the default min_frequency of 2.
  CHECK(document["model"]["vocab"].size() == 256 + 5);
  CHECK(document["model"]["vocab"]["\xC4\xA0hello"] == 256 + 4);
}

TEST_CASE("the BPE trainer numbers added tokens first, then the 256 bytes in byte order", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  const Json document = train_byte_level_bpe({}, options);
  const Json& vocab = document["model"]["vocab"];
  CHECK(vocab.size() == 5 + 256);
  CHECK(vocab["<|endoftext|>"] == 0);
  CHECK(vocab["</think>"] == 4);
  CHECK(vocab["\xC4\x80"] == 5);  // byte 0x00 is "Ā" in the byte-level alphabet
  CHECK(vocab["!"] == 5 + 0x21);
  CHECK(vocab["\xC3\xBF"] == 5 + 0xFF);  // byte 0xFF is "ÿ"
  const Json& added = document["added_tokens"];
  REQUIRE(added.size() == 5);
  CHECK(added[2]["content"] == "<|im_end|>");
  CHECK(added[2]["id"] == 2);
  CHECK(added[2]["special"] == true);
  CHECK(added[3]["special"] == false);
  CHECK(document["model"]["merges"].empty());
}

TEST_CASE("the BPE trainer stops at vocab_size and at min_frequency", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  options.vocab_size = 5 + 256 + 40;
  const Json document = train_byte_level_bpe(chat_corpus(), options);
  CHECK(document["model"]["vocab"].size() == 5 + 256 + 40);
  CHECK(document["model"]["merges"].size() == 40);
  CHECK(load(document).vocab_size() == 5 + 256 + 40);

  // Pairs inside "hello" are seen 3 times, "Ġ hello" twice: min_frequency cuts where counts end.
  options.added_tokens.clear();
  options.vocab_size = 100000;
  options.min_frequency = 4;
  CHECK(train_byte_level_bpe({"hello hello hello world"}, options)["model"]["merges"].empty());
  options.min_frequency = 3;
  CHECK(merges_of(train_byte_level_bpe({"hello hello hello world"}, options)) ==
        std::vector<std::string>{"e l", "el l", "ell o", "h ello"});
  // Training ends when no pair repeats, however large vocab_size is.
  options.min_frequency = 2;
  CHECK(train_byte_level_bpe(chat_corpus(), options)["model"]["vocab"].size() < 1000);
}

TEST_CASE("the BPE trainer gives the same bytes for the same corpus, in any document order", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  options.vocab_size = 600;
  std::vector<std::string> corpus = chat_corpus();
  corpus.push_back("na\xC3\xAFve caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E 2026-01-01");
  const std::string first = train_byte_level_bpe(corpus, options).dump(2);
  CHECK(train_byte_level_bpe(corpus, options).dump(2) == first);
  std::reverse(corpus.begin(), corpus.end());
  CHECK(train_byte_level_bpe(corpus, options).dump(2) == first);
}

TEST_CASE("a trained tokenizer round-trips unicode text it never saw", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  options.vocab_size = 512;
  const Tokenizer tokenizer = load(train_byte_level_bpe(chat_corpus(), options));
  const std::vector<std::string> texts = {"The capital of France is Paris.",
                                          "na\xC3\xAFve caf\xC3\xA9, \xC3\x9F\xC3\xBC\xC3\xB6",
                                          "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE6\x96\x87",
                                          "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB emoji \xF0\x9F\x8E\x89",
                                          "tabs\t\tand\r\n\r\n   runs   \xE3\x80\x80of\xC2\xA0space ",
                                          "1234567890 3.14159",
                                          "<|im_start|>user\nhi<|im_end|><think>x</think>",
                                          std::string("nul\0byte", 8)};
  for (const std::string& text : texts) {
    const auto ids = tokenizer.encode(text, false).ids;
    CHECK(tokenizer.decode(ids, false) == text);
  }
}

TEST_CASE("added tokens are never split nor learned by the BPE trainer", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  options.vocab_size = 1024;
  options.min_frequency = 1;
  const Json document = train_byte_level_bpe(chat_corpus(), options);
  // The corpus has "<|", "im_start" and "think>" only inside added tokens.
  for (const auto& [token, id] : document["model"]["vocab"].items()) {
    if (id.get<int>() < 5) continue;
    INFO(token);
    CHECK(token.find("<|") == std::string::npos);
    CHECK(token.find("im_start") == std::string::npos);
    CHECK(token.find("think>") == std::string::npos);
  }
  const Tokenizer tokenizer = load(document);
  const auto encoding = tokenizer.encode("<|im_start|>user\n<think>\nok</think><|im_end|>", false);
  CHECK(encoding.ids.front() == 1);
  CHECK(encoding.ids.back() == 2);
  CHECK(std::count(encoding.ids.begin(), encoding.ids.end(), 3u) == 1);
  CHECK(std::count(encoding.ids.begin(), encoding.ids.end(), 4u) == 1);
  CHECK(tokenizer.is_special(1));
  CHECK_FALSE(tokenizer.is_special(3));
  CHECK(tokenizer.decode(encoding.ids, true) == "user\n<think>\nok</think>");
}

TEST_CASE("the BPE trainer splits words with the pattern it writes", "[bpe]") {
  BpeTrainerOptions options;
  options.vocab_size = 400;
  // Qwen2's pattern keeps digits single: no merge may join two digits.
  for (const auto& merge : merges_of(train_byte_level_bpe({"12345 12345 12345 12345"}, options))) {
    INFO(merge);
    CHECK(merge.find_first_of("0123456789") == std::string::npos);
  }
  options.pre_tokenizer_pattern = forensics::runtime::kGpt2PreTokenizerPattern;
  const Json gpt2 = train_byte_level_bpe({"12345 12345 12345 12345"}, options);
  CHECK(gpt2["model"]["vocab"].contains("12345"));
  CHECK(gpt2["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] == forensics::runtime::kGpt2PreTokenizerPattern);
}

TEST_CASE("the BPE trainer rejects bad options and text it could not encode", "[bpe]") {
  BpeTrainerOptions options;
  options.vocab_size = 255;
  CHECK_THROWS_WITH(train_byte_level_bpe({"a"}, options),
                    Contains("smaller than the 0 added tokens plus the 256 byte tokens"));
  options.vocab_size = 512;
  CHECK_THROWS_WITH(train_byte_level_bpe({"ok", "bad \xFF byte"}, options),
                    Contains("corpus document 1 is not valid UTF-8 at byte offset 4"));
  options.added_tokens = {{"<a>", true}, {"<a>", false}};
  CHECK_THROWS_WITH(train_byte_level_bpe({"a"}, options), Contains("added_tokens[1] repeats"));
  options.added_tokens = {{"", true}};
  CHECK_THROWS_AS(train_byte_level_bpe({"a"}, options), InputError);
  options.added_tokens.clear();
  options.pre_tokenizer_pattern = "(unclosed";
  CHECK_THROWS_WITH(train_byte_level_bpe({"a"}, options), Contains("does not compile"));
}

TEST_CASE("a saved trained tokenizer loads from its file", "[bpe]") {
  BpeTrainerOptions options;
  options.added_tokens = kChatTokens;
  options.vocab_size = 300;
  const Json document = train_byte_level_bpe(chat_corpus(), options);
  const auto dir =
      std::filesystem::temp_directory_path() / ("forensics-bpe-trainer-test-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  forensics::runtime::save_tokenizer_json(document, dir / "tokenizer.json");
  const Tokenizer tokenizer = Tokenizer::from_path(dir);
  CHECK(tokenizer.vocab_size() == 300);
  CHECK(tokenizer.encode("<|im_end|>", false).ids == std::vector<std::uint32_t>{2});
  std::filesystem::remove_all(dir);
}

// The driver of tests/parity/bpe_trainer_parity.py (hidden: it runs only when named). Reads
// $FORENSICS_BPE_PARITY_DIR/input.json {options (pattern "qwen2" or "gpt2"), documents, probes},
// trains, writes tokenizer.json, and writes ours.json: per probe, our ids and both decodes.
TEST_CASE("BPE trainer parity driver", "[.][bpe-parity]") {
  const char* dir_variable = std::getenv("FORENSICS_BPE_PARITY_DIR");
  REQUIRE(dir_variable != nullptr);
  const std::filesystem::path dir = dir_variable;
  const Json input =
      forensics::util::parse_json_strict(forensics::util::read_text_file(dir / "input.json", 1u << 30), "input.json");
  BpeTrainerOptions options;
  options.vocab_size = input["options"]["vocab_size"].get<std::size_t>();
  options.min_frequency = input["options"]["min_frequency"].get<std::size_t>();
  for (const auto& token : input["options"]["added_tokens"]) {
    options.added_tokens.push_back({token["content"].get<std::string>(), token["special"].get<bool>()});
  }
  if (input["options"].value("pattern", "qwen2") == "gpt2") {
    options.pre_tokenizer_pattern = forensics::runtime::kGpt2PreTokenizerPattern;
  }
  const auto documents = input["documents"].get<std::vector<std::string>>();
  const Json document = train_byte_level_bpe(documents, options);
  REQUIRE(train_byte_level_bpe(documents, options).dump(2) == document.dump(2));
  forensics::runtime::save_tokenizer_json(document, dir / "tokenizer.json");

  const Tokenizer tokenizer = Tokenizer::from_path(dir / "tokenizer.json");
  Json ours = Json::array();
  for (const auto& probe : input["probes"]) {
    const auto ids = tokenizer.encode(probe.get<std::string>(), true).ids;
    ours.push_back({{"ids", ids},
                    {"decoded", tokenizer.decode(ids, false)},
                    {"decoded_skip_special", tokenizer.decode(ids, true)}});
  }
  std::ofstream(dir / "ours.json", std::ios::binary) << ours.dump() << '\n';
}
