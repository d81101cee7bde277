// probes: the chain of thought as sentences, and which hypothesis a sentence states: the pure
// text logic of `sentence-resample` (docs/probes.md), torch-free and unit-tested on its own.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/incident/matcher.h"
#include "forensics/verdict/evidence.h"

namespace forensics::probes {

/// One sentence of a chain of thought.
struct SentenceSpan {
  std::size_t begin = 0;  // byte span within the reasoning, stripped
  std::size_t end = 0;
  std::size_t length = 0;  // the length the reference merges by: stripped chunks joined by " "
};

/// Thought Anchors' splitting (`split_solution_into_chunks`), keeping byte offsets: cut after
/// char i when "\n\n" or "\r\n\r\n" starts at i, or char i is one of .?! and char i+1 is a space
/// or "\n"; strip the chunks and drop empty ones; merge a chunk under 10 characters (code points)
/// into the next (the last into the previous). A merged sentence is the reasoning's bytes from
/// the first chunk's start to the last one's end.
std::vector<SentenceSpan> split_sentences(std::string_view text);

/// Lowercased alphabetic words of at least 5 letters, minus a few stopwords.
std::set<std::string> content_words(std::string_view text);

/// That a sentence states a hypothesis, and how that was found.
struct SentenceLink {
  std::size_t hypothesis = 0;  // index into the incident's hypotheses
  verdict::CotLink link = verdict::CotLink::kDeclared;
  std::string detail;  // `matches "latency"`, `shares the words budget, latency with its cue's text`
};

/// Which hypotheses a chain-of-thought sentence gives as its reason (docs/probes.md, "Which
/// hypothesis a sentence states"). A hypothesis with `stated_by` is stated by the sentences it
/// matches (declared). One without is stated (inferred) by a sentence sharing at least two of its
/// cue words, or a two-word phrase, with the texts that carry its cue: the texts removed by the
/// interventions in which it predicts a decrease that a rival does not — never a counterfactual's
/// replacement text — minus the task's own words and the words of edits it says do nothing.
class HypothesisLinker {
 public:
  explicit HypothesisLinker(const incident::Incident& incident);

  std::vector<SentenceLink> links(std::string_view sentence) const;

  /// The cue words and phrases an inferred link looks for, per hypothesis without stated_by.
  struct Cue {
    std::string hypothesis;
    std::set<std::string> words;
    std::set<std::string> phrases;
  };
  const std::vector<Cue>& inferred_cues() const { return inferred_; }

 private:
  std::vector<std::pair<std::size_t, incident::ActionMatcher>> declared_;
  std::vector<std::size_t> inferred_index_;  // hypothesis of each inferred_ entry
  std::vector<Cue> inferred_;
};

/// Two-word phrases of `text`: consecutive lowercased words of at least 4 letters, neither a
/// stopword, joined by a space.
std::set<std::string> content_phrases(std::string_view text);

}  // namespace forensics::probes
