// probes: the chain of thought as sentences, and which hypothesis a sentence states: the pure
// text logic of `sentence-resample` (docs/probes.md), torch-free and unit-tested on its own.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/incident/incident.h"

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

/// Each hypothesis' cue words, in the incident's hypothesis order (docs/probes.md, "Which
/// hypothesis a sentence states").
std::vector<std::set<std::string>> cue_words(const incident::Incident& incident);

}  // namespace forensics::probes
