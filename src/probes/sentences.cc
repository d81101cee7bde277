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

/// The strings an edit puts in or takes out of the transcript: find and text (`with`).
std::string edit_text(const std::vector<incident::Edit>& edits) {
  std::string out;
  for (const auto& edit : edits) out += edit.find + "\n" + edit.text + "\n";
  return out;
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

std::set<std::string> content_words(std::string_view text) {
  static const std::set<std::string> kStop = {"about",   "above",   "after", "again",   "against", "being", "below",
                                              "between", "could",   "doing", "during",  "every",   "first", "having",
                                              "other",   "should",  "their", "there",   "these",   "thing", "things",
                                              "those",   "through", "under", "until",   "where",   "which", "while",
                                              "would",   "always",  "never", "already", "because", "before"};
  std::set<std::string> out;
  std::string word;
  const auto flush = [&] {
    if (word.size() >= kMinWordLetters && !kStop.contains(word)) out.insert(word);
    word.clear();
  };
  for (const char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::vector<std::set<std::string>> cue_words(const incident::Incident& incident) {
  const auto& hypotheses = incident.hypotheses;
  std::vector<std::set<std::string>> cue(hypotheses.size());
  std::vector<std::set<std::string>> unmoved(hypotheses.size());
  // Background: the prompt's messages with every declared edit's find string taken out; a word
  // written there is about the task, not about a cue.
  std::vector<std::string> finds;
  std::set<std::string> background;
  const auto add_edits = [&](const std::vector<incident::Edit>& edits,
                             const std::vector<incident::Prediction>& predicts) {
    for (const auto& edit : edits) {
      if (!edit.find.empty()) finds.push_back(edit.find);
    }
    const auto words = content_words(edit_text(edits));
    for (std::size_t h = 0; h < hypotheses.size(); ++h) {
      incident::Direction mine = incident::Direction::kNoChange;
      bool other_unchanged = false;
      for (const auto& p : predicts) {
        if (p.hypothesis == hypotheses[h].id) {
          mine = p.direction;
        } else if (p.direction == incident::Direction::kNoChange) {
          other_unchanged = true;
        }
      }
      if (mine == incident::Direction::kNoChange) {
        unmoved[h].insert(words.begin(), words.end());
      } else if (other_unchanged) {
        cue[h].insert(words.begin(), words.end());
      }
    }
  };
  for (const auto& intervention : incident.interventions) add_edits(intervention.edits, intervention.predicts);
  const auto& messages = incident.transcript.messages;
  for (std::size_t m = 0; m < messages.size() && m < incident.action.message; ++m) {
    std::string text = messages[m].content;
    for (const auto& call : messages[m].tool_calls) text += "\n" + call.name + "\n" + call.arguments.dump();
    if (messages[m].reasoning) text += "\n" + *messages[m].reasoning;
    // Longest finds first, so a find that contains another is taken out whole.
    std::vector<std::string> sorted = finds;
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& find : sorted) {
      for (std::size_t at = text.find(find); at != std::string::npos; at = text.find(find, at)) {
        text.replace(at, find.size(), "\n");
      }
    }
    const auto words = content_words(text);
    background.insert(words.begin(), words.end());
  }
  for (std::size_t h = 0; h < hypotheses.size(); ++h) {
    for (auto it = cue[h].begin(); it != cue[h].end();) {
      it = unmoved[h].contains(*it) || background.contains(*it) ? cue[h].erase(it) : std::next(it);
    }
  }
  return cue;
}

}  // namespace forensics::probes
