// Models: BPE (with byte fallback, unknown-token fusing, ignore_merges, subword prefix and
// end-of-word suffix) and WordLevel.
#include <cstdio>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "components.h"

namespace forensics::runtime::tokenizer_detail {
namespace {

// Vocabulary both ways. Ids index a vector, so they must be reasonably dense.
class Vocabulary {
 public:
  void load(const ConfigReader& config) {
    const Json& vocab = config.at("vocab");
    if (!vocab.is_object()) config.fail_at("vocab", "expected an object of token: id");
    std::uint32_t max_id = 0;
    for (const auto& [token, id] : vocab.items()) {
      if (!id.is_number_unsigned() && !(id.is_number_integer() && id.get<std::int64_t>() >= 0)) {
        config.fail_at("vocab", "id of \"" + token + "\" is not a non-negative integer");
      }
      const auto value = id.get<std::uint64_t>();
      if (value > 0x7FFFFFFF) config.fail_at("vocab", "id of \"" + token + "\" is too large");
      to_id_.emplace(token, static_cast<std::uint32_t>(value));
      max_id = std::max(max_id, static_cast<std::uint32_t>(value));
    }
    if (!vocab.empty() && max_id > 4 * vocab.size() + (1u << 20)) {
      config.fail_at("vocab", "ids are too sparse (largest " + std::to_string(max_id) + " for " +
                                  std::to_string(vocab.size()) + " tokens)");
    }
    to_token_.resize(vocab.empty() ? 0 : max_id + 1);
    present_.resize(to_token_.size(), false);
    for (const auto& [token, id] : to_id_) {
      to_token_[id] = token;
      present_[id] = true;
    }
  }

  std::optional<std::uint32_t> find(std::string_view token) const {
    const auto it = to_id_.find(std::string(token));
    if (it == to_id_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* token(std::uint32_t id) const {
    return id < to_token_.size() && present_[id] ? &to_token_[id] : nullptr;
  }
  std::size_t size() const { return to_id_.size(); }
  std::size_t id_bound() const { return to_token_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t> to_id_;
  std::vector<std::string> to_token_;
  std::vector<bool> present_;
};

std::optional<std::string> optional_string(const ConfigReader& config, const char* key) {
  if (!config.has(key)) return std::nullopt;
  return config.string(key);
}

class Bpe final : public Model {
 public:
  explicit Bpe(const ConfigReader& config) {
    vocab_.load(config);
    if (config.has("dropout")) {
      const Json& dropout = config.at("dropout");
      if (!dropout.is_number() || dropout.get<double>() != 0.0) {
        config.fail_at("dropout",
                       "BPE dropout samples merges at random; forensics needs "
                       "deterministic tokenization (set it to null)");
      }
    }
    unk_token_ = optional_string(config, "unk_token");
    prefix_ = optional_string(config, "continuing_subword_prefix");
    suffix_ = optional_string(config, "end_of_word_suffix");
    fuse_unk_ = config.boolean_or("fuse_unk", false);
    byte_fallback_ = config.boolean_or("byte_fallback", false);
    ignore_merges_ = config.boolean_or("ignore_merges", false);
    if (unk_token_) unk_id_ = vocab_.find(*unk_token_);
    if (byte_fallback_) {
      for (int byte = 0; byte < 256; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        byte_ids_[byte] = vocab_.find(name);
      }
    }
    load_merges(config);
  }

  void tokenize(std::string_view piece, std::vector<ModelToken>& out) const override {
    if (piece.empty()) return;
    if (ignore_merges_) {
      if (auto id = vocab_.find(piece)) {
        out.push_back({*id, 0, static_cast<std::uint32_t>(piece.size())});
        return;
      }
    }
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      const auto hit = cache_.find(std::string(piece));
      if (hit != cache_.end()) {
        out.insert(out.end(), hit->second.begin(), hit->second.end());
        return;
      }
    }
    std::vector<ModelToken> tokens;
    merge_word(piece, tokens);
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cache_.size() < kCacheCapacity && piece.size() < 256) cache_.emplace(piece, tokens);
    }
    out.insert(out.end(), tokens.begin(), tokens.end());
  }

  std::optional<std::uint32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  const std::string* id_to_token(std::uint32_t id) const override { return vocab_.token(id); }
  std::size_t vocab_size() const override { return vocab_.size(); }
  std::size_t id_bound() const override { return vocab_.id_bound(); }

 private:
  static constexpr std::size_t kCacheCapacity = 10000;

  struct Symbol {
    std::uint32_t id;
    std::int32_t prev;
    std::int32_t next;
    std::uint32_t length;  // bytes of the piece; 0 once merged into its left neighbour
  };
  struct Candidate {
    std::uint32_t rank;
    std::uint32_t position;
    std::uint32_t new_id;
    // Lowest rank first, then leftmost: the reference's merge order.
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : position > other.position;
    }
  };

  static std::uint64_t pair_key(std::uint32_t left, std::uint32_t right) { return (std::uint64_t(left) << 32) | right; }

  void load_merges(const ConfigReader& config) {
    const Json& merges = config.at("merges");
    if (!merges.is_array()) config.fail_at("merges", "expected an array");
    const std::size_t prefix_length = prefix_ ? prefix_->size() : 0;
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
      const Json& merge = merges[rank];
      std::string left, right;
      const std::string where = "merges[" + std::to_string(rank) + "]";
      if (merge.is_string()) {
        const std::string text = merge.get<std::string>();
        const auto space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          config.fail_at(where.c_str(), "expected \"left right\" with one space, got \"" + text + "\"");
        }
        left = text.substr(0, space);
        right = text.substr(space + 1);
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
        left = merge[0].get<std::string>();
        right = merge[1].get<std::string>();
      } else {
        config.fail_at(where.c_str(), "expected \"left right\" or [\"left\", \"right\"]");
      }
      const auto left_id = vocab_.find(left);
      const auto right_id = vocab_.find(right);
      const std::string merged = left + (right.size() >= prefix_length ? right.substr(prefix_length) : right);
      const auto merged_id = vocab_.find(merged);
      auto require = [&](const std::string& name, const std::optional<std::uint32_t>& id) {
        if (!id) config.fail_at(where.c_str(), "token \"" + name + "\" is not in the vocabulary");
      };
      require(left, left_id);
      require(right, right_id);
      require(merged, merged_id);
      merges_[pair_key(*left_id, *right_id)] = {static_cast<std::uint32_t>(rank), *merged_id};
    }
  }

  const std::pair<std::uint32_t, std::uint32_t>* find_merge(std::uint32_t left, std::uint32_t right) const {
    const auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }

  // Characters to initial symbols, then merges by rank (tokenizers' BPE::merge_word).
  void merge_word(std::string_view word, std::vector<ModelToken>& out) const {
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    auto add = [&](std::uint32_t id, std::size_t length) {
      const auto index = static_cast<std::int32_t>(symbols.size());
      symbols.push_back({id, index - 1, -1, static_cast<std::uint32_t>(length)});
      if (index > 0) symbols[index - 1].next = index;
    };
    // An unknown character waiting to be emitted (or fused with the next unknown one).
    bool has_unknown = false;
    std::uint32_t unknown_id = 0;
    std::size_t unknown_length = 0;
    std::string key;
    for (std::size_t pos = 0; pos < word.size();) {
      const std::size_t length = unicode::sequence_length(static_cast<unsigned char>(word[pos]));
      const bool is_first = pos == 0;
      const bool is_last = pos + length >= word.size();
      key.clear();
      if (!is_first && prefix_) key += *prefix_;
      key.append(word.substr(pos, length));
      if (is_last && suffix_) key += *suffix_;
      if (auto id = vocab_.find(key)) {
        if (has_unknown) {
          add(unknown_id, unknown_length);
          has_unknown = false;
        }
        add(*id, length);
      } else if (byte_fallback_ && all_bytes_known(key)) {
        for (unsigned char byte : key) add(*byte_ids_[byte], 1);
      } else if (unk_token_) {
        if (!unk_id_) {
          throw TokenizerError("tokenizer.json: model.unk_token \"" + *unk_token_ + "\" is not in the vocabulary");
        }
        if (has_unknown && fuse_unk_) {
          unknown_length += length;
        } else {
          if (has_unknown) add(unknown_id, unknown_length);
          has_unknown = true;
          unknown_id = *unk_id_;
          unknown_length = length;
        }
      }
      pos += length;
    }
    if (has_unknown) add(unknown_id, unknown_length);

    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      if (const auto* merge = find_merge(symbols[i].id, symbols[i + 1].id)) {
        queue.push({merge->first, static_cast<std::uint32_t>(i), merge->second});
      }
    }
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& current = symbols[top.position];
      if (current.length == 0 || current.next < 0) continue;
      const auto right_index = static_cast<std::size_t>(current.next);
      const Symbol right = symbols[right_index];
      const auto* still = find_merge(current.id, right.id);
      if (still == nullptr || still->second != top.new_id) continue;  // stale entry
      current.id = top.new_id;
      current.length += right.length;
      current.next = right.next;
      symbols[right_index].length = 0;
      if (right.next >= 0) symbols[right.next].prev = static_cast<std::int32_t>(top.position);
      if (current.prev >= 0) {
        if (const auto* merge = find_merge(symbols[current.prev].id, current.id)) {
          queue.push({merge->first, static_cast<std::uint32_t>(current.prev), merge->second});
        }
      }
      if (current.next >= 0) {
        if (const auto* merge = find_merge(current.id, symbols[current.next].id)) {
          queue.push({merge->first, top.position, merge->second});
        }
      }
    }
    std::uint32_t offset = 0;
    for (const auto& symbol : symbols) {
      if (symbol.length == 0) continue;
      out.push_back({symbol.id, offset, offset + symbol.length});
      offset += symbol.length;
    }
  }

  bool all_bytes_known(std::string_view text) const {
    for (unsigned char byte : text) {
      if (!byte_ids_[byte]) return false;
    }
    return true;
  }

  Vocabulary vocab_;
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> merges_;
  std::optional<std::string> unk_token_;
  std::optional<std::uint32_t> unk_id_;
  std::optional<std::string> prefix_;
  std::optional<std::string> suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::optional<std::uint32_t> byte_ids_[256];
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<ModelToken>> cache_;
};

class WordLevel final : public Model {
 public:
  explicit WordLevel(const ConfigReader& config) {
    vocab_.load(config);
    unk_token_ = config.string_or("unk_token", "<unk>");
  }

  void tokenize(std::string_view piece, std::vector<ModelToken>& out) const override {
    auto id = vocab_.find(piece);
    if (!id) id = vocab_.find(unk_token_);
    if (!id) {
      throw TokenizerError("tokenizer.json: model.unk_token \"" + unk_token_ + "\" is not in the vocabulary, and \"" +
                           std::string(piece) + "\" is unknown");
    }
    out.push_back({*id, 0, static_cast<std::uint32_t>(piece.size())});
  }
  std::optional<std::uint32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  const std::string* id_to_token(std::uint32_t id) const override { return vocab_.token(id); }
  std::size_t vocab_size() const override { return vocab_.size(); }
  std::size_t id_bound() const override { return vocab_.id_bound(); }

 private:
  Vocabulary vocab_;
  std::string unk_token_;
};

}  // namespace

std::unique_ptr<Model> make_model(const ConfigReader& config) {
  // Old files leave out the model's type; the reference then guesses from the fields.
  std::string type = config.has("type") ? config.type() : (config.has("merges") ? "BPE" : "WordLevel");
  if (type == "BPE") return std::make_unique<Bpe>(config);
  if (type == "WordLevel") return std::make_unique<WordLevel>(config);
  config.fail("unsupported model type \"" + type + "\"; supported: BPE, WordLevel");
}

}  // namespace forensics::runtime::tokenizer_detail
