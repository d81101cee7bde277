// Tokenizer behaviour on small hand-written tokenizer.json files, and its errors. Parity with
// the reference library on real fixtures is tested in tests/parity/.
#include <catch2/catch.hpp>

#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"

using Catch::Matchers::Contains;
using forensics::InputError;
using forensics::Json;
using forensics::runtime::Tokenizer;
using forensics::runtime::TokenizerError;

namespace {

// A BPE tokenizer.json with the given pieces replaced.
Json bpe_document() {
  return Json::parse(R"({
    "version": "1.0",
    "added_tokens": [{"id": 5, "content": "<s>", "special": true, "single_word": false,
                      "lstrip": false, "rstrip": false, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "WhitespaceSplit"},
    "post_processor": null,
    "decoder": null,
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "<s>": 5},
              "merges": ["a b", "ab c"], "unk_token": null}
  })");
}

Tokenizer load(const Json& document) { return Tokenizer::from_json(document.dump(), "", "t.json"); }

std::vector<std::uint32_t> ids(const Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.encode(text, true).ids;
}

// A WordLevel tokenizer whose vocabulary is `pieces`, with `pre_tokenizer`: its tokens show how
// the pre-tokenizer split the text.
std::vector<std::string> pieces_of(const Json& pre_tokenizer, const std::vector<std::string>& pieces,
                                   std::string_view text) {
  Json vocab = Json::object();
  for (std::size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = i;
  vocab["[UNK]"] = pieces.size();
  const Json document = {{"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}},
                         {"pre_tokenizer", pre_tokenizer}};
  return load(document).encode(text, true).tokens;
}

}  // namespace

TEST_CASE("BPE applies merges by rank and keeps byte offsets", "[tokenizer]") {
  const Tokenizer tokenizer = load(bpe_document());
  const auto encoding = tokenizer.encode("abc ab", true);
  CHECK(encoding.ids == std::vector<std::uint32_t>{4, 3});
  CHECK(encoding.offsets[1] == std::pair<std::size_t, std::size_t>{4, 6});
  CHECK(tokenizer.decode({4, 3}, false) == "abc ab");
}

TEST_CASE("added tokens are matched before the model and can be skipped when decoding", "[tokenizer]") {
  const Tokenizer tokenizer = load(bpe_document());
  CHECK(ids(tokenizer, "ab<s>c") == std::vector<std::uint32_t>{3, 5, 2});
  CHECK(tokenizer.is_special(5));
  CHECK(tokenizer.decode({3, 5, 2}, true) == "ab c");
}

TEST_CASE("unknown characters without an unk token are dropped, as the reference does", "[tokenizer]") {
  // x vanishes, so a and b become neighbours and merge (tokenizers gives [3] too).
  CHECK(ids(load(bpe_document()), "axb") == std::vector<std::uint32_t>{3});
}

TEST_CASE("byte fallback spells unknown characters as bytes, and unknowns fuse", "[tokenizer]") {
  Json document = bpe_document();
  document["model"]["byte_fallback"] = true;
  document["model"]["vocab"]["<0xC3>"] = 10;
  document["model"]["vocab"]["<0xA9>"] = 11;
  document["model"]["vocab"]["<unk>"] = 12;
  document["model"]["unk_token"] = "<unk>";
  document["model"]["fuse_unk"] = true;
  document["decoder"] = {{"type", "ByteFallback"}};
  const Tokenizer tokenizer = load(document);
  CHECK(ids(tokenizer, "a\xC3\xA9") == std::vector<std::uint32_t>{0, 10, 11});
  CHECK(ids(tokenizer, "axyb") == std::vector<std::uint32_t>{0, 12, 1});  // x and y fuse
  CHECK(tokenizer.decode({10, 11}, false) == "\xC3\xA9");
  CHECK(tokenizer.decode({10}, false) == "\xEF\xBF\xBD");  // a lone lead byte
}

TEST_CASE("split behaviours cut a-b--c as the reference documents", "[tokenizer]") {
  const std::vector<std::string> vocab{"a", "b", "c", "-", "--", "a-", "b-", "-b", "-c"};
  auto split = [&](const char* behavior) {
    return pieces_of({{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}}, vocab, "a-b--c");
  };
  using V = std::vector<std::string>;
  CHECK(split("Removed") == V{"a", "b", "c"});
  CHECK(split("Isolated") == V{"a", "-", "b", "-", "-", "c"});
  CHECK(split("MergedWithPrevious") == V{"a-", "b-", "-", "c"});
  CHECK(split("MergedWithNext") == V{"a", "-b", "-", "-c"});
  CHECK(split("Contiguous") == V{"a", "-", "b", "--", "c"});
}

TEST_CASE("invalid UTF-8 input is rejected with its byte offset", "[tokenizer]") {
  const Tokenizer tokenizer = load(bpe_document());
  CHECK_THROWS_AS(tokenizer.encode("ab\xC3(", true), InputError);
  CHECK_THROWS_WITH(tokenizer.encode("ab\xC3(", true), Contains("byte offset 2"));
  CHECK_THROWS_WITH(tokenizer.encode("\xED\xA0\x80", true), Contains("byte offset 0"));  // surrogate
}

TEST_CASE("unsupported components are named with their path", "[tokenizer]") {
  Json document = bpe_document();
  document["pre_tokenizer"] = {{"type", "Sequence"},
                               {"pretokenizers", Json::array({{{"type", "ByteLevel"}}, {{"type", "UnicodeScripts"}}})}};
  CHECK_THROWS_WITH(load(document),
                    Contains("pre_tokenizer.pretokenizers[1]: unsupported pre-tokenizer type \"UnicodeScripts\""));
  document = bpe_document();
  document["normalizer"] = {{"type", "Precompiled"}};
  CHECK_THROWS_WITH(load(document), Contains("normalizer: unsupported normalizer type \"Precompiled\""));
  document = bpe_document();
  document["model"]["type"] = "Unigram";
  CHECK_THROWS_AS(load(document), TokenizerError);
  document = bpe_document();
  document["decoder"] = {{"type", "CTC"}};
  CHECK_THROWS_WITH(load(document), Contains("decoder: unsupported decoder type \"CTC\""));
}

TEST_CASE("bad merges and a missing vocabulary are errors naming the component", "[tokenizer]") {
  Json document = bpe_document();
  document["model"]["merges"] = Json::array({"a b", "b zz"});
  CHECK_THROWS_WITH(load(document), Contains("model.merges[1]: token \"zz\" is not in the vocabulary"));
  document["model"]["merges"] = Json::array({"ab"});
  CHECK_THROWS_WITH(load(document), Contains("model.merges[0]: expected \"left right\""));
  document = bpe_document();
  document["model"].erase("vocab");
  CHECK_THROWS_WITH(load(document), Contains("model.vocab: missing"));
}

TEST_CASE("a regex that does not compile, and random dropout, are refused", "[tokenizer]") {
  Json document = bpe_document();
  document["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  CHECK_THROWS_WITH(load(document), Contains("pre_tokenizer.pattern.Regex: does not compile"));
  document = bpe_document();
  document["model"]["dropout"] = 0.1;
  CHECK_THROWS_WITH(load(document), Contains("model.dropout"));
}

TEST_CASE("a tokenizer.json that is not JSON is an error with line and column", "[tokenizer]") {
  CHECK_THROWS_AS(Tokenizer::from_json("{\"model\": ", "", "t.json"), TokenizerError);
  CHECK_THROWS_WITH(Tokenizer::from_json("{\n\"model\": }", "", "t.json"), Contains("t.json:2:"));
}

TEST_CASE("the fingerprint changes with the file and is stable across loads", "[tokenizer]") {
  const Json document = bpe_document();
  CHECK(load(document).fingerprint() == load(document).fingerprint());
  CHECK_THAT(load(document).fingerprint(), Contains("sha256:"));
  Json other = document;
  other["model"]["merges"] = Json::array({"a b"});
  CHECK(load(other).fingerprint() != load(document).fingerprint());
}

TEST_CASE("metaspace with prepend_scheme first marks only the start of the input", "[tokenizer]") {
  const Json metaspace = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", true}};
  const std::vector<std::string> vocab{"\xE2\x96\x81hi", "\xE2\x96\x81there", "hi"};
  CHECK(pieces_of(metaspace, vocab, "hi there") == std::vector<std::string>{"\xE2\x96\x81hi", "\xE2\x96\x81there"});
}
