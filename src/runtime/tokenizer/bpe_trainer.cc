// Byte-level BPE training (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
// Subword Units", on GPT-2's byte alphabet). Distinct words are counted once; each merge then
// re-counts only the words that contain the merged pair, as tokenizers' BpeTrainer does.
#include "forensics/runtime/bpe_trainer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "added_vocabulary.h"
#include "components.h"

namespace forensics::runtime {

using namespace tokenizer_detail;

namespace {

constexpr std::size_t kByteTokens = 256;

// Token strings both ways; a merge whose string already exists reuses that id, as the
// reference trainer does, so the vocabulary never holds a string twice.
class TrainingVocabulary {
 public:
  std::uint32_t intern(const std::string& token) {
    const auto found = ids_.find(token);
    if (found != ids_.end()) return found->second;
    const auto id = static_cast<std::uint32_t>(tokens_.size());
    tokens_.push_back(token);
    ids_.emplace(token, id);
    return id;
  }
  const std::string& token(std::uint32_t id) const { return tokens_[id]; }
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

// A distinct pre-tokenized word as token ids, and how often the corpus has it.
struct Word {
  std::vector<std::uint32_t> symbols;
  std::int64_t count = 0;
};

using PairKey = std::uint64_t;

PairKey pair_key(std::uint32_t left, std::uint32_t right) { return (PairKey(left) << 32) | right; }
std::uint32_t left_of(PairKey key) { return static_cast<std::uint32_t>(key >> 32); }
std::uint32_t right_of(PairKey key) { return static_cast<std::uint32_t>(key); }

void validate_added_tokens(const std::vector<AddedTokenSpec>& tokens) {
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& content = tokens[i].content;
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (content.empty()) throw InputError(where + " is empty; an added token needs content");
    if (unicode::find_invalid_utf8(content) != std::string::npos) {
      throw InputError(where + " is not valid UTF-8");
    }
    if (!seen.insert(content).second) {
      throw InputError(where + " repeats \"" + content + "\"; list each added token once");
    }
  }
}

Json added_tokens_json(const std::vector<AddedTokenSpec>& tokens) {
  Json out = Json::array();
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    // Key order and defaults as the reference serializes them; `normalized` defaults to
    // !special there, and with no normalizer it changes nothing.
    out.push_back({{"id", id},
                   {"content", tokens[id].content},
                   {"single_word", false},
                   {"lstrip", false},
                   {"rstrip", false},
                   {"normalized", !tokens[id].special},
                   {"special", tokens[id].special}});
  }
  return out;
}

// Qwen2's arrangement: the regex split is a separate step, so ByteLevel must not split again.
Json pre_tokenizer_json(const std::string& pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}};
}

Json model_json(const TrainingVocabulary& vocab, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& merges) {
  Json tokens = Json::object();
  auto& entries = tokens.get_ref<Json::object_t&>();
  entries.reserve(vocab.size());
  for (std::uint32_t id = 0; id < vocab.size(); ++id) {
    // Strings are unique by construction; appending to ordered_map's vector skips the linear key
    // search its operator[] makes per insertion.
    entries.emplace_back(vocab.token(id), id);
  }
  Json merge_list = Json::array();
  for (const auto& [left, right] : merges) {
    merge_list.push_back(Json::array({vocab.token(left), vocab.token(right)}));
  }
  return {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", nullptr},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", false},
          {"byte_fallback", false},
          {"ignore_merges", false},
          {"vocab", std::move(tokens)},
          {"merges", std::move(merge_list)}};
}

// Splits the corpus exactly as the emitted tokenizer.json will (our own added-token matcher and
// pre-tokenizer, built from the same JSON), so that training sees the words encoding will see.
std::vector<Word> count_words(const std::vector<std::string>& corpus, const Json& document,
                              const std::array<std::uint32_t, kByteTokens>& byte_ids) {
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  AddedVocabulary added;
  try {
    pre_tokenizer = make_pre_tokenizer(ConfigReader(document.at("pre_tokenizer"), "pre_tokenizer"));
    model = make_model(ConfigReader(document.at("model"), "model"));
    added.load(document.at("added_tokens"), *model, nullptr);
  } catch (const TokenizerError& e) {
    throw InputError(std::string("BPE trainer options: ") + e.what());
  }

  std::unordered_map<std::string, std::int64_t> counts;
  std::vector<NormalizedString> words;
  for (std::size_t index = 0; index < corpus.size(); ++index) {
    const std::string& text = corpus[index];
    const std::size_t invalid = unicode::find_invalid_utf8(text);
    if (invalid != std::string::npos) {
      throw InputError("corpus document " + std::to_string(index) + " is not valid UTF-8 at byte offset " +
                       std::to_string(invalid) + "; the tokenizer could never encode it");
    }
    for (auto& piece : added.extract_and_normalize(text, nullptr)) {
      if (piece.added_id) continue;
      words.clear();
      pre_tokenizer->split(std::move(piece.text), words);
      for (const auto& word : words) {
        if (!word.empty()) ++counts[word.get()];
      }
    }
  }

  // Sorted, so word indices (and every container built from them) do not depend on hashing.
  std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> out;
  out.reserve(sorted.size());
  for (const auto& [text, count] : sorted) {
    Word word;
    word.count = count;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t length = 0;
      const auto byte = char_to_byte(unicode::decode_at(text, pos, &length));
      if (!byte) throw Error("BPE trainer: ByteLevel produced a character outside its alphabet");
      word.symbols.push_back(byte_ids[*byte]);
      pos += length;
    }
    out.push_back(std::move(word));
  }
  return out;
}

// A pair and its count when queued. Counts only fall while a pair waits (except when a merge
// reuses an existing token id, which queues the pair again), so a popped entry is checked
// against the live count before it is trusted (tokenizers' BpeTrainer does the same).
struct Candidate {
  std::int64_t count;
  PairKey pair;
};

class Merger {
 public:
  Merger(std::vector<Word> words, TrainingVocabulary& vocab)
      : words_(std::move(words)), vocab_(vocab), queue_(Ranking{&vocab}) {
    for (std::uint32_t index = 0; index < words_.size(); ++index) {
      const Word& word = words_[index];
      for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
        const PairKey key = pair_key(word.symbols[i], word.symbols[i + 1]);
        counts_[key] += word.count;
        where_[key].push_back(index);
      }
    }
    for (const auto& [key, count] : counts_) queue_.push({count, key});
  }

  /// Merges until the vocabulary has `vocab_size` tokens or the best pair is rarer than
  /// `min_frequency`; returns the merges in order.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> run(std::size_t vocab_size, std::size_t min_frequency) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merges;
    std::unordered_set<PairKey> merged;
    while (vocab_.size() < vocab_size && !queue_.empty()) {
      const Candidate top = queue_.top();
      queue_.pop();
      const auto live = counts_.find(top.pair);
      const std::int64_t count = live == counts_.end() ? 0 : live->second;
      if (top.count != count) {
        if (top.count > count && count > 0) queue_.push({count, top.pair});
        continue;
      }
      if (count <= 0 || static_cast<std::uint64_t>(count) < min_frequency) break;
      const std::uint32_t left = left_of(top.pair);
      const std::uint32_t right = right_of(top.pair);
      const std::uint32_t id = vocab_.intern(vocab_.token(left) + vocab_.token(right));
      // A pair can come back only through a reused id; its first rank already covers it.
      if (merged.insert(top.pair).second) merges.emplace_back(left, right);
      apply(top.pair, id);
    }
    return merges;
  }

 private:
  // Higher count first; ties to the bytewise smallest (left, right) strings, so the order never
  // depends on ids or hashing.
  struct Ranking {
    const TrainingVocabulary* vocab;
    bool operator()(const Candidate& a, const Candidate& b) const {
      if (a.count != b.count) return a.count < b.count;
      const std::string& a_left = vocab->token(left_of(a.pair));
      const std::string& b_left = vocab->token(left_of(b.pair));
      if (a_left != b_left) return a_left > b_left;
      return vocab->token(right_of(a.pair)) > vocab->token(right_of(b.pair));
    }
  };

  void apply(PairKey pair, std::uint32_t id) {
    std::vector<std::uint32_t> indices = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    const std::uint32_t left = left_of(pair);
    const std::uint32_t right = right_of(pair);
    std::unordered_map<PairKey, std::int64_t> deltas;
    std::vector<std::uint32_t> merged_symbols;
    for (const std::uint32_t index : indices) {
      Word& word = words_[index];
      const auto& symbols = word.symbols;
      bool found = false;
      for (std::size_t i = 0; i + 1 < symbols.size() && !found; ++i) {
        found = symbols[i] == left && symbols[i + 1] == right;
      }
      if (!found) continue;  // the pair was merged away inside this word by an earlier merge
      // Leftmost non-overlapping occurrences, as encoding applies a merge ("a a a" -> "aa a").
      merged_symbols.clear();
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          merged_symbols.push_back(id);
          ++i;
        } else {
          merged_symbols.push_back(symbols[i]);
        }
      }
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
        deltas[pair_key(symbols[i], symbols[i + 1])] -= word.count;
      }
      for (std::size_t i = 0; i + 1 < merged_symbols.size(); ++i) {
        const PairKey key = pair_key(merged_symbols[i], merged_symbols[i + 1]);
        deltas[key] += word.count;
        // Every adjacency the merge created involves the new token; the others were listed.
        if (merged_symbols[i] == id || merged_symbols[i + 1] == id) where_[key].push_back(index);
      }
      word.symbols.swap(merged_symbols);
    }
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      std::int64_t& count = counts_[key];
      count += delta;
      if (delta > 0) queue_.push({count, key});
      if (count == 0) counts_.erase(key);
    }
  }

  std::vector<Word> words_;
  TrainingVocabulary& vocab_;
  std::unordered_map<PairKey, std::int64_t> counts_;
  std::unordered_map<PairKey, std::vector<std::uint32_t>> where_;  // words that may hold a pair
  std::priority_queue<Candidate, std::vector<Candidate>, Ranking> queue_;
};

}  // namespace

Json train_byte_level_bpe(const std::vector<std::string>& corpus, const BpeTrainerOptions& options) {
  validate_added_tokens(options.added_tokens);
  if (options.pre_tokenizer_pattern.empty()) {
    throw InputError(
        "BPE trainer: pre_tokenizer_pattern is empty; use e.g. "
        "kQwen2PreTokenizerPattern");
  }

  TrainingVocabulary vocab;
  for (const auto& token : options.added_tokens) vocab.intern(token.content);
  std::array<std::uint32_t, kByteTokens> byte_ids{};
  for (std::size_t byte = 0; byte < kByteTokens; ++byte) {
    byte_ids[byte] = vocab.intern(byte_to_char_utf8(static_cast<unsigned char>(byte)));
  }
  if (options.vocab_size < vocab.size()) {
    throw InputError("BPE trainer: vocab_size " + std::to_string(options.vocab_size) + " is smaller than the " +
                     std::to_string(options.added_tokens.size()) + " added tokens plus the 256 byte tokens (" +
                     std::to_string(vocab.size()) + ")");
  }

  Json document = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added_tokens_json(options.added_tokens)},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer_json(options.pre_tokenizer_pattern)},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}},
      {"model", model_json(vocab, {})}};

  Merger merger(count_words(corpus, document, byte_ids), vocab);
  const auto merges = merger.run(options.vocab_size, options.min_frequency);
  document["model"] = model_json(vocab, merges);
  return document;
}

void save_tokenizer_json(const Json& tokenizer, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << tokenizer.dump(2) << '\n';
  out.close();
  if (!out) {
    throw ModelError("cannot write tokenizer.json to " + path.string() +
                     "; check that the folder exists and is writable");
  }
}

}  // namespace forensics::runtime
