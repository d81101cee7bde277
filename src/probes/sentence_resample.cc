// probes: `sentence-resample` (DESIGN §4, thought anchors): the action turn's reasoning split
// into sentences; for each sentence, the action's rate among turns continued from just before it
// and from just after it. importance = rate_after - rate_before (Newcombe 95%). Sentences that
// state a hypothesis' cue (a shared content word with that hypothesis' interventions) give the
// verdict its CoT evidence (docs/probes.md, docs/verdict.md §8).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/probes/probe.h"

namespace forensics::probes {
namespace {

constexpr std::size_t kMinSentenceChars = 10;  // REFERENCE §8: shorter chunks are merged
constexpr std::size_t kMinWordLetters = 5;     // content words: at least this many letters

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Characters as Python counts them (UTF-8 code points), for the length rule.
std::size_t char_count(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

struct Sentence {
  std::size_t begin = 0;  // byte span within the reasoning, stripped
  std::size_t end = 0;
  std::size_t length = 0;  // the length the reference merges by: stripped chunks joined by " "
};

/// REFERENCE §8 (thought-anchors `split_solution_into_chunks`), keeping byte offsets: cut after
/// char i when "\n\n" or "\r\n\r\n" starts at i, or char i is one of .?! and char i+1 is a space
/// or "\n"; strip the chunks and drop empty ones; merge a chunk under 10 characters into the next
/// (the last into the previous). A merged sentence is the reasoning's bytes from the first
/// chunk's start to the last one's end (the reference joins with " "; its length rule is kept).
std::vector<Sentence> split_sentences(std::string_view text) {
  std::vector<Sentence> chunks;
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
    const bool sentence = i + 1 < text.size() && (c == '.' || c == '?' || c == '!') &&
                          (text[i + 1] == ' ' || text[i + 1] == '\n');
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

/// Lowercased alphabetic words of at least kMinWordLetters letters, minus a few stopwords.
std::set<std::string> content_words(std::string_view text) {
  static const std::set<std::string> kStop = {
      "about", "above", "after", "again", "against", "being", "below", "between", "could",
      "doing", "during", "every", "first", "having", "other", "should", "their", "there",
      "these", "thing", "things", "those", "through", "under", "until", "where", "which",
      "while", "would", "always", "never", "already", "because", "before"};
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

/// The strings an edit puts in or takes out of the transcript: find and text (`with`).
std::string edit_text(const std::vector<incident::Edit>& edits) {
  std::string out;
  for (const auto& edit : edits) out += edit.find + "\n" + edit.text + "\n";
  return out;
}

/// Each hypothesis' cue words (docs/probes.md, "Which hypothesis a sentence states").
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

Json difference_json(const stats::Difference& d) {
  return Json{{"estimate", d.estimate}, {"ci95", Json::array({d.ci.low, d.ci.high})}};
}

}  // namespace

void run_sentence_resample(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output) {
  const auto& incident = context.incident;
  const auto& turn = context.action_turn;
  const auto& reasoning_span = turn.spans.reasoning;
  output.results["sentences"] = Json::array();
  if (!reasoning_span || reasoning_span->end <= reasoning_span->begin) {
    // No chain of thought: nothing to measure, and no CoT evidence for the verdict.
    output.results["reason"] = "the action turn has no reasoning";
    output.results["ranking"] = Json::array();
    output.results["stated_reasons"] = Json::array();
    return;
  }
  const std::string_view reasoning = reasoning_span->of(turn.text);
  const auto sentences = split_sentences(reasoning);
  if (sentences.empty()) {
    output.results["reason"] = "the action turn's reasoning is blank";
    output.results["ranking"] = Json::array();
    output.results["stated_reasons"] = Json::array();
    return;
  }
  const std::string prompt = action_prompt(context, incident.transcript, incident.action.message);

  // Cut points within the reasoning: before sentence 0 is the reasoning's start; before sentence
  // i > 0 is the end of sentence i - 1 (only whitespace lies between them, which the model writes);
  // after sentence i is its end. n sentences share n + 1 sampled conditions.
  std::vector<std::size_t> cuts = {0};
  for (const auto& sentence : sentences) cuts.push_back(sentence.end);
  std::vector<ConditionRate> rates;
  Json conditions = Json::array();
  for (const std::size_t cut : cuts) {
    const std::string id = "cut-" + std::to_string(cut);
    const std::string prefix = prompt + turn.text.substr(0, reasoning_span->begin + cut);
    rates.push_back(sample_action_rate(context, prefix, budget.samples,
                                       condition_seed(context.seed, "sentence-resample", id)));
    output.samples += rates.back().rate.n;
    Json entry = condition_json(id, rates.back());
    entry["cut"] = cut;
    conditions.push_back(entry);
  }

  const auto cues = cue_words(incident);
  const auto& hypotheses = incident.hypotheses;
  std::vector<stats::Difference> importance;
  std::vector<std::vector<std::size_t>> states(sentences.size());
  Json sentence_list = Json::array();
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    const auto& s = sentences[i];
    const stats::Rate& before = rates[i].rate;
    const stats::Rate& after = rates[i + 1].rate;
    importance.push_back(stats::newcombe(after, before));
    const std::string text(reasoning.substr(s.begin, s.end - s.begin));
    const auto words = content_words(text);
    Json stated = Json::array();
    for (std::size_t h = 0; h < hypotheses.size(); ++h) {
      const bool shares = std::any_of(words.begin(), words.end(),
                                      [&](const std::string& w) { return cues[h].contains(w); });
      if (shares) {
        states[i].push_back(h);
        stated.push_back(hypotheses[h].id);
      }
    }
    Json entry = Json::object();
    entry["index"] = i;
    entry["span"] = Json::array({s.begin, s.end});
    entry["text"] = text;
    entry["rate_before"] = rate_json(before);
    entry["rate_after"] = rate_json(after);
    entry["importance"] = difference_json(importance.back());
    entry["states"] = stated;
    sentence_list.push_back(entry);
  }

  std::vector<std::size_t> ranking(sentences.size());
  for (std::size_t i = 0; i < ranking.size(); ++i) ranking[i] = i;
  std::stable_sort(ranking.begin(), ranking.end(), [&](std::size_t a, std::size_t b) {
    return importance[a].estimate > importance[b].estimate;
  });

  verdict::CotEvidence cot;
  Json stated_reasons = Json::array();
  Json cue_json = Json::object();
  for (std::size_t h = 0; h < hypotheses.size(); ++h) {
    cue_json[hypotheses[h].id] = Json(std::vector<std::string>(cues[h].begin(), cues[h].end()));
    verdict::CotStatement statement;
    statement.hypothesis = hypotheses[h].id;
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      if (std::find(states[i].begin(), states[i].end(), h) == states[i].end()) continue;
      statement.stated_reason = true;
      if (!statement.max_importance || importance[i].estimate > statement.max_importance->estimate) {
        statement.max_importance = importance[i];
      }
    }
    if (statement.stated_reason) stated_reasons.push_back(hypotheses[h].id);
    cot.statements.push_back(statement);
  }
  output.cot = cot;

  output.results["sentences"] = sentence_list;
  output.results["ranking"] = Json(ranking);
  output.results["stated_reasons"] = stated_reasons;
  output.results["cue_words"] = cue_json;
  output.results["conditions"] = conditions;
}

}  // namespace forensics::probes
