// runtime: trains small byte-level BPE tokenizers (for model organisms trained on synthetic
// transcripts) and emits them as tokenizer.json documents that our Tokenizer and Hugging Face
// `tokenizers` load and tokenize identically. Torch-free, part of forensics_runtime_base.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "forensics/util/json.h"

namespace forensics::runtime {

/// Qwen2's pre-tokenizer pattern (the ChatML model family): contractions, letter runs with one
/// leading non-letter, single digits, punctuation runs with their newlines, whitespace runs.
inline constexpr const char kQwen2PreTokenizerPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*)"
    R"(|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// GPT-2's pre-tokenizer pattern: digit runs stay together, a space joins the next word.
inline constexpr const char kGpt2PreTokenizerPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// A token matched in the text before the model runs (`<|im_start|>`, `<think>`): never split,
/// never learned from, always one id.
struct AddedTokenSpec {
  std::string content;  // non-empty UTF-8, matched literally
  bool special = true;  // special tokens are dropped by decode(skip_special_tokens = true)
};

struct BpeTrainerOptions {
  /// The whole vocabulary: added tokens + the 256 byte tokens + merges. Training stops when it
  /// is reached (or earlier, see min_frequency).
  std::size_t vocab_size = 1024;
  /// A pair seen fewer times than this in the corpus is never merged.
  std::size_t min_frequency = 2;
  /// Ids 0..n-1 in this order; split out of the training text before pre-tokenization.
  std::vector<AddedTokenSpec> added_tokens;
  /// Oniguruma regex of the Split pre-tokenizer (Isolated), applied before ByteLevel.
  std::string pre_tokenizer_pattern = kQwen2PreTokenizerPattern;
};

/// Trains byte-level BPE on `corpus` (each string is one document, encoded on its own) and
/// returns the tokenizer.json document: no normalizer; pre-tokenizer Split(pattern, Isolated) then
/// ByteLevel(add_prefix_space = false, use_regex = false); a BPE model whose vocabulary is the
/// added tokens (ids 0..), the 256 byte tokens in byte order, then one token per merge, merges
/// as [left, right] pairs; a ByteLevel decoder; no post-processor.
///
/// Words are split exactly as the emitted tokenizer splits them (our own added-token matcher and
/// pre-tokenizer run on the corpus). Each step merges the most frequent adjacent pair, ties going
/// to the pair whose (left, right) token strings are smallest bytewise, so the result depends
/// only on the multiset of documents: same corpus and options, same document, same dump().
///
/// Throws InputError when a document is not valid UTF-8 (naming it and the byte offset), when
/// an added token is empty or repeated, when the pattern does not compile, or when vocab_size is
/// smaller than the added tokens plus the 256 byte tokens.
Json train_byte_level_bpe(const std::vector<std::string>& corpus, const BpeTrainerOptions& options);

/// Writes `tokenizer` as tokenizer.json (2-space indent, UTF-8 unescaped, trailing newline): the
/// same document always gives the same bytes. Throws ModelError when the file cannot be written.
void save_tokenizer_json(const Json& tokenizer, const std::filesystem::path& path);

}  // namespace forensics::runtime
