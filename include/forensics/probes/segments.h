// probes: the context before the action cut into segments (messages, paragraphs, lines,
// sentences) and a transcript with one segment deleted: the pure text logic of `ablate`
// (docs/probes.md), torch-free and unit-tested on its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/transcript.h"
#include "forensics/util/name_table.h"

namespace forensics::probes {

/// How finely ablate cuts the context.
enum class Granularity { kMessage, kParagraph, kSentence };
inline constexpr util::NameTable kGranularityNames{std::array{
    util::NameEntry<Granularity>{Granularity::kMessage, "message"},
    util::NameEntry<Granularity>{Granularity::kParagraph, "paragraph"},
    util::NameEntry<Granularity>{Granularity::kSentence, "sentence"},
}};

/// Kinds from coarse to fine; a finer piece with the span of a coarser one is the same deletion.
enum class SegmentKind { kMessage, kParagraph, kLine, kSentence };
inline constexpr util::NameTable kSegmentKindNames{std::array{
    util::NameEntry<SegmentKind>{SegmentKind::kMessage, "message"},
    util::NameEntry<SegmentKind>{SegmentKind::kParagraph, "paragraph"},
    util::NameEntry<SegmentKind>{SegmentKind::kLine, "line"},
    util::NameEntry<SegmentKind>{SegmentKind::kSentence, "sentence"},
}};

struct Segment {
  std::size_t message = 0;
  SegmentKind kind = SegmentKind::kMessage;
  incident::TextSpan span;  // in the message's content (a whole message: all of it)
};

/// Every segment of the environment messages (system, user, tool) before `action_message`, in
/// position order (message, then offset, coarser first). A piece is listed only when its parent
/// has at least two pieces, and only once when a coarser segment has the same span.
std::vector<Segment> context_segments(const incident::Transcript& transcript, std::size_t action_message,
                                      Granularity granularity);

/// The transcript with `segment` deleted. A piece takes the whitespace after it (or, at the end of
/// the content, before it) along, so no blank line is left where it was. A whole message keeps
/// its place (indices and the tool results that answer it stay): its content is emptied.
incident::Transcript without_segment(const incident::Transcript& transcript, const Segment& segment);

/// The segments with no other segment inside them (a message that was not cut, each line of a
/// cut paragraph that was not cut further, ...), by index into `segments`.
std::vector<std::size_t> finest_segments(const std::vector<Segment>& segments);

}  // namespace forensics::probes
