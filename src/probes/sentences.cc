// probes: the chain of thought as sentences (Thought Anchors' splitting) and the words that link
// a sentence to a hypothesis (docs/probes.md, `sentence-resample`).
#include "forensics/probes/sentences.h"

#include <algorithm>
#include <cctype>

namespace forensics::probes {
namespace {

constexpr std::size_t kMinSentenceChars = 10;  // Thought Anchors: shorter chunks are merged
constexpr std::size_t kMinWordLetters = 5;     // content words: at least this many letters

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/// Characters as Python counts them (UTF-8 code points), for the length rule.
std::size_t char_count(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace

std::vector<SentenceSpan> split_sentences(std::string_view text) {
  std::vector<SentenceSpan> chunks;
  const auto add = [&](std::size_t begin, std::size_t end) {
    while (begin < end && is_space(text[begin])) ++begin;
    while (end > begin && is_space(text[end - 1])) --end;
    if (begin < end) chunks.push_back({begin, end, char_count(text.substr(begin, end - begin))});
  };
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string_view rest = text.substr(i);
    const bool paragraph = rest.starts_with("\n\n") || rest.starts_with("\r\n\r\n");
    const char c = text[i];
    const bool sentence =
        i + 1 < text.size() && (c == '.' || c == '?' || c == '!') && (text[i + 1] == ' ' || text[i + 1] == '\n');
    if (paragraph || sentence) {
      add(start, i + 1);
      start = i + 1;
    }
  }
  add(start, text.size());
  std::size_t i = 0;
  while (i < chunks.size()) {
    if (chunks[i].length >= kMinSentenceChars) {
      ++i;
      continue;
    }
    if (i + 1 == chunks.size()) {
      if (i == 0) break;  // a single short chunk stays as it is
      chunks[i - 1].end = chunks[i].end;
      chunks[i - 1].length += 1 + chunks[i].length;
      chunks.pop_back();
    } else {
      chunks[i + 1].begin = chunks[i].begin;
      chunks[i + 1].length += 1 + chunks[i].length;
      chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return chunks;
}

namespace {

const std::set<std::string>& stopwords() {
  static const std::set<std::string> words = {
      "about",  "above",   "after",   "again",  "against", "being",  "below", "between", "could", "doing",
      "during", "every",   "first",   "having", "other",   "should", "their", "there",   "these", "thing",
      "things", "those",   "through", "under",  "until",   "where",  "which", "while",   "would", "always",
      "never",  "already", "because", "before", "that",    "this",   "with",  "from",    "have",  "will",
      "into",   "then",    "than",    "they",   "them",    "were",   "been",  "what",    "when",  "your"};
  return words;
}

/// The lowercased alphabetic runs of `text`, in order.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (const char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::string listed(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ", ") + items[i];
  return out;
}

std::optional<incident::Direction> prediction(const std::vector<incident::Prediction>& predicts,
                                              const std::string& id) {
  for (const auto& p : predicts) {
    if (p.hypothesis == id) return p.direction;
  }
  return std::nullopt;
}

}  // namespace

std::set<std::string> content_words(std::string_view text) {
  std::set<std::string> out;
  for (auto& word : words_of(text)) {
    if (word.size() >= kMinWordLetters && stopwords().count(word) == 0) out.insert(std::move(word));
  }
  return out;
}

std::set<std::string> content_phrases(std::string_view text) {
  const auto words = words_of(text);
  const auto usable = [](const std::string& word) { return word.size() >= 4 && stopwords().count(word) == 0; };
  std::set<std::string> out;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (usable(words[i]) && usable(words[i + 1])) out.insert(words[i] + " " + words[i + 1]);
  }
  return out;
}

HypothesisLinker::HypothesisLinker(const incident::Incident& incident) {
  const auto& hypotheses = incident.hypotheses;
  const std::string task = incident::task_text(incident);
  const auto task_words = content_words(task);
  const auto task_phrases = content_phrases(task);
  for (std::size_t h = 0; h < hypotheses.size(); ++h) {
    const auto& hypothesis = hypotheses[h];
    if (hypothesis.stated_by) {
      declared_.emplace_back(h, incident::ActionMatcher(*hypothesis.stated_by));
      continue;
    }
    Cue cue{hypothesis.id, {}, {}};
    std::set<std::string> unmoved;
    for (const auto& intervention : incident.interventions) {
      const auto mine = prediction(intervention.predicts, hypothesis.id);
      bool rival_unchanged = false;
      for (const auto& p : intervention.predicts) {
        rival_unchanged =
            rival_unchanged || (p.hypothesis != hypothesis.id && p.direction == incident::Direction::kNoChange);
      }
      std::string removed;  // what the edits take out of the transcript: never a replacement's text
      std::string touched;
      for (const auto& edit : intervention.edits) {
        removed += edit.find + "\n";
        touched += edit.find + "\n" + edit.text + "\n";
      }
      if (mine == incident::Direction::kNoChange) {
        const auto words = content_words(touched);
        unmoved.insert(words.begin(), words.end());
      } else if (mine == incident::Direction::kDecrease && rival_unchanged) {
        const auto words = content_words(removed);
        cue.words.insert(words.begin(), words.end());
        const auto phrases = content_phrases(removed);
        cue.phrases.insert(phrases.begin(), phrases.end());
      }
    }
    for (auto it = cue.words.begin(); it != cue.words.end();) {
      it = unmoved.count(*it) != 0 || task_words.count(*it) != 0 ? cue.words.erase(it) : std::next(it);
    }
    for (auto it = cue.phrases.begin(); it != cue.phrases.end();) {
      it = task_phrases.count(*it) != 0 ? cue.phrases.erase(it) : std::next(it);
    }
    inferred_index_.push_back(h);
    inferred_.push_back(std::move(cue));
  }
}

std::vector<SentenceLink> HypothesisLinker::links(std::string_view sentence) const {
  std::vector<SentenceLink> out;
  for (const auto& [h, matcher] : declared_) {
    if (const auto match = matcher.find(sentence)) {
      out.push_back({h, verdict::CotLink::kDeclared,
                     "matches \"" + std::string(sentence.substr(match->begin, match->end - match->begin)) + "\""});
    }
  }
  const auto words = content_words(sentence);
  const auto phrases = content_phrases(sentence);
  for (std::size_t i = 0; i < inferred_.size(); ++i) {
    std::vector<std::string> shared_words;
    for (const auto& word : words) {
      if (inferred_[i].words.count(word) != 0) shared_words.push_back(word);
    }
    std::vector<std::string> shared_phrases;
    for (const auto& phrase : phrases) {
      if (inferred_[i].phrases.count(phrase) != 0) shared_phrases.push_back(phrase);
    }
    if (!shared_phrases.empty()) {
      out.push_back({inferred_index_[i], verdict::CotLink::kInferred,
                     "repeats \"" + shared_phrases.front() + "\" from the cue's text"});
    } else if (shared_words.size() >= 2) {
      out.push_back({inferred_index_[i], verdict::CotLink::kInferred,
                     "shares the words " + listed(shared_words) + " with the cue's text"});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SentenceLink& a, const SentenceLink& b) { return a.hypothesis < b.hypothesis; });
  return out;
}

}  // namespace forensics::probes
