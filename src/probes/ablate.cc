// probes: `ablate`: leave-one-segment-out over the context before the action. Every environment
// message as a whole, and (by granularity) each paragraph, line and sentence of its content, is
// deleted in turn; the action's turn (and the alternative's) is scored by teacher forcing after
// the re-rendered prompt. Deterministic (no sampling) and descriptive (no evidence for the
// verdict): a ranked list of the parts of the context that move the action (docs/probes.md).
#include <algorithm>

#include "forensics/probes/segments.h"
#include "forensics/probes/steps.h"
#include "forensics/util/text.h"

namespace forensics::probes {
namespace {

struct AblateOptions {
  Granularity granularity = Granularity::kSentence;
};

struct ScoredSegment {
  Segment segment;
  incident::Role role = incident::Role::kUser;
  std::string text;              // what it deletes, for display
  std::vector<double> logprobs;  // the action's turn (and the alternative's) without it
};

struct AblateResult final : ProbeResult {
  Granularity granularity = Granularity::kSentence;
  std::size_t action_message = 0;
  std::vector<incident::Role> roles;  // of the messages before the action
  std::vector<double> original;       // the action's (and alternative's) log P, nothing deleted
  std::vector<ScoredSegment> segments;
  std::vector<std::size_t> ranking;          // finest segments by delta, ascending
  std::vector<std::size_t> message_ranking;  // whole messages by delta, ascending

  bool has_alternative() const { return original.size() > 1; }
  double delta(std::size_t i) const { return segments[i].logprobs[0] - original[0]; }
  double metric_delta(std::size_t i) const {
    return (segments[i].logprobs[0] - segments[i].logprobs[1]) - (original[0] - original[1]);
  }

  Json segment_json(std::size_t i) const {
    const auto& s = segments[i];
    Json row = Json::object();
    row["index"] = i;
    row["message"] = s.segment.message;
    row["role"] = std::string(incident::kRoleNames.name(s.role));
    row["kind"] = std::string(kSegmentKindNames.name(s.segment.kind));
    row["span"] = Json::array({s.segment.span.begin, s.segment.span.end});
    row["text"] = s.text;
    row["logprob_action"] = s.logprobs[0];
    row["delta"] = delta(i);
    if (has_alternative()) {
      row["logprob_alternative"] = s.logprobs[1];
      row["metric_delta"] = metric_delta(i);
    }
    return row;
  }

  /// Per message before the action: its whole-message delta and its strongest piece.
  Json message_json(std::size_t m) const {
    std::optional<std::size_t> whole;
    std::optional<std::size_t> strongest;
    std::int64_t pieces = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].segment.message != m) continue;
      if (segments[i].segment.kind == SegmentKind::kMessage) {
        whole = i;
        continue;
      }
      ++pieces;
      if (!strongest || delta(i) < delta(*strongest)) strongest = i;
    }
    Json out = Json::object();
    out["message"] = m;
    out["role"] = std::string(incident::kRoleNames.name(roles[m]));
    out["segment"] = whole ? Json(*whole) : Json(nullptr);
    out["delta"] = whole ? Json(delta(*whole)) : Json(nullptr);
    out["metric_delta"] = whole && has_alternative() ? Json(metric_delta(*whole)) : Json(nullptr);
    out["pieces"] = pieces;
    out["strongest_piece"] = strongest ? Json(*strongest) : Json(nullptr);
    out["strongest_piece_delta"] = strongest ? Json(delta(*strongest)) : Json(nullptr);
    return out;
  }

  Json to_json() const override {
    Json rows = Json::array();
    for (std::size_t i = 0; i < segments.size(); ++i) rows.push_back(segment_json(i));
    Json messages = Json::array();
    for (std::size_t m = 0; m < action_message; ++m) messages.push_back(message_json(m));
    Json out = Json::object();
    out["granularity"] = std::string(kGranularityNames.name(granularity));
    out["original"] = Json{{"action_logprob", original[0]},
                           {"alternative_logprob", has_alternative() ? Json(original[1]) : Json(nullptr)},
                           {"metric", has_alternative() ? Json(original[0] - original[1]) : Json(nullptr)}};
    out["segments"] = rows;
    out["ranking"] = ranking;
    out["message_ranking"] = message_ranking;
    out["messages"] = messages;
    return out;
  }

  std::vector<std::string> summary_lines() const override {
    if (ranking.empty()) return {};
    const std::size_t top = ranking.front();
    char delta_text[32];
    std::snprintf(delta_text, sizeof delta_text, "%+.2f nats", delta(top));
    return {"removing \"" + segments[top].text + "\" moves log P(action) most (" + delta_text + ")"};
  }
};

AblateOptions read(util::ObjectReader& reader, const incident::Incident& /*incident*/) {
  AblateOptions options;
  options.granularity =
      reader.enumeration("granularity", util::Need::kOptional, kGranularityNames).value_or(options.granularity);
  return options;
}

ProbeCost cost(const incident::Incident& incident, const AblateOptions& options, std::int64_t /*samples*/,
               const CostBasis& /*basis*/) {
  const auto segments = static_cast<std::int64_t>(
      context_segments(incident.transcript, incident.action.message, options.granularity).size());
  return {.scored_sequences = (segments + 1) * (incident.action.alternative ? 2 : 1)};
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const AblateOptions& options, std::int64_t /*samples*/) {
  const auto& transcript = context.incident.transcript;
  auto result = std::make_unique<AblateResult>();
  result->granularity = options.granularity;
  result->action_message = context.incident.action.message;
  for (std::size_t m = 0; m < result->action_message; ++m) result->roles.push_back(transcript.messages[m].role);

  const auto segments = context_segments(transcript, result->action_message, options.granularity);
  std::vector<std::string> prompts = {action_prompt(context, transcript, result->action_message)};
  for (const auto& segment : segments) {
    prompts.push_back(action_prompt(context, without_segment(transcript, segment), result->action_message));
  }
  auto scores = score_turns(context, prompts, scored_turns(context));
  result->original = scores[0];
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& message = transcript.messages[segments[i].message];
    result->segments.push_back(
        {segments[i], message.role, display_text(segments[i].span.of(message.content)), std::move(scores[i + 1])});
  }

  // Two rankings, most negative first (removing the segment lowers the action's log-probability
  // the most): the finest parts of the context, so that a message never outranks the line inside
  // it that does the work; and whole messages.
  const auto by_delta = [&](std::size_t a, std::size_t b) { return result->delta(a) < result->delta(b); };
  result->ranking = finest_segments(segments);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].kind == SegmentKind::kMessage) result->message_ranking.push_back(i);
  }
  std::stable_sort(result->ranking.begin(), result->ranking.end(), by_delta);
  std::stable_sort(result->message_ranking.begin(), result->message_ranking.end(), by_delta);
  return result;
}

}  // namespace

const ProbeDescriptor& ablate_probe() {
  static const ProbeDescriptor probe = describe_probe<AblateOptions>({
      .name = "ablate",
      .summary = "leave-one-segment-out over the context, by log-probability (no sampling)",
      .role = ProbeRole::kDescriptive,
      .read = read,
      .cost = cost,
      .run = run,
  });
  return probe;
}

}  // namespace forensics::probes
