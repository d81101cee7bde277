// probes: `sentence-resample` (thought anchors): the action turn's reasoning split into
// sentences; for each sentence, the action's rate among turns continued from just before it and
// from just after it. importance = rate_after - rate_before (Newcombe 95%). Sentences that state
// a hypothesis' cue give the verdict its CoT evidence (docs/probes.md, docs/verdict.md §8).
#include <algorithm>

#include "forensics/probes/sentences.h"
#include "forensics/probes/steps.h"
#include "forensics/verdict/verdict.h"

namespace forensics::probes {
namespace {

struct SentenceResampleOptions {
  std::int64_t samples_per_side = 50;  // k before and k after each sentence (50 in published studies)
  std::int64_t max_sentences = 0;      // 0: every sentence; else only the first this many
};

struct MeasuredSentence {
  SentenceSpan span;
  std::string text;
  stats::Rate before;
  stats::Rate after;
  stats::Difference importance;
  std::vector<std::string> states;  // hypothesis ids whose cue the sentence states
  std::vector<SentenceLink> links;  // how each was found
};

struct SentenceResampleResult final : ProbeResult {
  std::vector<MeasuredSentence> sentences;
  std::vector<std::size_t> ranking;  // sentence indices by importance, descending, ties by position
  std::vector<std::string> stated_reasons;
  std::vector<HypothesisLinker::Cue> inferred_cues;  // hypotheses without stated_by
  std::vector<std::string> hypothesis_ids;
  std::vector<std::pair<std::string, ConditionRate>> conditions;  // per cut: id, rate
  std::vector<std::size_t> cuts;
  verdict::CotEvidence cot;

  Json to_json() const override {
    Json rows = Json::array();
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      const auto& s = sentences[i];
      Json entry = Json::object();
      entry["index"] = i;
      entry["span"] = Json::array({s.span.begin, s.span.end});
      entry["text"] = s.text;
      entry["rate_before"] = verdict::rate_json(s.before);
      entry["rate_after"] = verdict::rate_json(s.after);
      entry["importance"] = verdict::difference_json(s.importance);
      entry["states"] = s.states;
      Json links = Json::array();
      for (const auto& link : s.links) {
        links.push_back(Json{{"hypothesis", hypothesis_ids[link.hypothesis]},
                             {"link", std::string(verdict::kCotLinkNames.name(link.link))},
                             {"detail", link.detail}});
      }
      entry["links"] = links;
      rows.push_back(entry);
    }
    Json cues = Json::object();
    for (const auto& cue : inferred_cues) cues[cue.hypothesis] = Json{{"words", cue.words}, {"phrases", cue.phrases}};
    Json condition_rows = Json::array();
    for (std::size_t i = 0; i < conditions.size(); ++i) {
      Json entry = condition_json(conditions[i].first, conditions[i].second);
      entry["cut"] = cuts[i];
      condition_rows.push_back(entry);
    }
    return Json{{"sentences", rows},
                {"ranking", ranking},
                {"stated_reasons", stated_reasons},
                {"cue_words", cues},
                {"conditions", condition_rows}};
  }

  void add_evidence(verdict::Evidence& evidence) const override { evidence.cot = cot; }
};

SentenceResampleOptions read(util::ObjectReader& reader, const incident::Incident& /*incident*/) {
  SentenceResampleOptions options;
  options.samples_per_side =
      reader.integer("samples_per_side", util::Need::kOptional, 1, kMaxSamples).value_or(options.samples_per_side);
  options.max_sentences =
      reader.integer("max_sentences", util::Need::kOptional, 0, 1'000'000).value_or(options.max_sentences);
  return options;
}

std::int64_t standard_samples(const SentenceResampleOptions& options) { return options.samples_per_side; }

/// The action turn's reasoning as declared in the transcript.
std::string_view reasoning_of(const incident::Incident& incident) {
  const auto& reasoning = incident.transcript.messages[incident.action.message].reasoning;
  return reasoning ? std::string_view(*reasoning) : std::string_view();
}

/// The sentences measured: all, or the first max_sentences.
std::vector<SentenceSpan> measured_sentences(std::string_view reasoning, const SentenceResampleOptions& options) {
  auto sentences = split_sentences(reasoning);
  if (options.max_sentences > 0 && static_cast<std::int64_t>(sentences.size()) > options.max_sentences) {
    sentences.resize(static_cast<std::size_t>(options.max_sentences));
  }
  return sentences;
}

std::optional<std::string> nothing_to_do(const incident::Incident& incident,
                                         const SentenceResampleOptions& /*options*/) {
  const std::string_view reasoning = reasoning_of(incident);
  if (reasoning.empty()) return "the action turn has no reasoning (no chain of thought to resample)";
  if (split_sentences(reasoning).empty()) return "the action turn's reasoning is blank";
  return std::nullopt;
}

ProbeCost cost(const incident::Incident& incident, const SentenceResampleOptions& options, std::int64_t samples,
               const CostBasis& /*basis*/) {
  const auto sentences = static_cast<std::int64_t>(measured_sentences(reasoning_of(incident), options).size());
  const std::int64_t conditions = sentences == 0 ? 0 : sentences + 1;
  return {.conditions = conditions, .samples = conditions * samples};
}

/// Which hypotheses each sentence states, and the CoT evidence the verdict weighs: per hypothesis,
/// its stating sentence of largest importance. A declared link beats an inferred one.
void link_hypotheses(const incident::Incident& incident, SentenceResampleResult& result) {
  const HypothesisLinker linker(incident);
  result.inferred_cues = linker.inferred_cues();
  for (const auto& hypothesis : incident.hypotheses) result.hypothesis_ids.push_back(hypothesis.id);
  for (auto& sentence : result.sentences) {
    sentence.links = linker.links(sentence.text);
    for (const auto& link : sentence.links) sentence.states.push_back(result.hypothesis_ids[link.hypothesis]);
  }
  for (std::size_t h = 0; h < result.hypothesis_ids.size(); ++h) {
    verdict::CotStatement statement;
    statement.hypothesis = result.hypothesis_ids[h];
    for (const auto& sentence : result.sentences) {
      for (const auto& link : sentence.links) {
        if (link.hypothesis != h) continue;
        const bool first = !statement.stated_reason;
        const bool more_important =
            statement.max_importance && sentence.importance.estimate > statement.max_importance->estimate;
        statement.stated_reason = true;
        if (first || more_important) {
          statement.max_importance = sentence.importance;
          statement.sentence = sentence.text;
          statement.link = link.link;
          statement.link_detail = link.detail;
        }
      }
    }
    if (statement.stated_reason) result.stated_reasons.push_back(statement.hypothesis);
    result.cot.statements.push_back(statement);
  }
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const SentenceResampleOptions& options,
                                 std::int64_t samples) {
  const auto& incident = context.incident;
  const auto& turn = context.action_turn;
  const incident::TextSpan reasoning_span = turn.spans.reasoning.value_or(incident::TextSpan{});
  const std::string_view reasoning = reasoning_span.of(turn.text);
  const auto sentences = measured_sentences(reasoning, options);
  const std::string prompt = action_prompt(context, incident.transcript, incident.action.message);
  auto result = std::make_unique<SentenceResampleResult>();
  if (sentences.empty()) return result;  // nothing_to_do says why; the driver does not run it

  // Cut points within the reasoning: before sentence 0 is the reasoning's start; before sentence
  // i > 0 is the end of sentence i - 1 (only whitespace lies between them, which the model writes);
  // after sentence i is its end. n sentences share n + 1 sampled conditions.
  result->cuts = {0};
  for (const auto& sentence : sentences) result->cuts.push_back(sentence.end);
  for (const std::size_t cut : result->cuts) {
    const std::string id = "cut-" + std::to_string(cut);
    const std::string prefix = prompt + turn.text.substr(0, reasoning_span.begin + cut);
    result->conditions.emplace_back(id, sample_action_rate(context, prefix, samples, "sentence-resample", id));
    result->samples += result->conditions.back().second.rate.n;
  }
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    MeasuredSentence sentence;
    sentence.span = sentences[i];
    sentence.text = std::string(reasoning.substr(sentences[i].begin, sentences[i].end - sentences[i].begin));
    sentence.before = result->conditions[i].second.rate;
    sentence.after = result->conditions[i + 1].second.rate;
    sentence.importance = stats::newcombe(sentence.after, sentence.before);
    result->sentences.push_back(std::move(sentence));
  }
  result->ranking.resize(sentences.size());
  for (std::size_t i = 0; i < sentences.size(); ++i) result->ranking[i] = i;
  std::stable_sort(result->ranking.begin(), result->ranking.end(), [&](std::size_t a, std::size_t b) {
    return result->sentences[a].importance.estimate > result->sentences[b].importance.estimate;
  });
  link_hypotheses(incident, *result);
  return result;
}

}  // namespace

const ProbeDescriptor& sentence_resample_probe() {
  static const ProbeDescriptor probe = describe_probe<SentenceResampleOptions>({
      .name = "sentence-resample",
      .summary = "importance of each chain-of-thought sentence; the CoT evidence for cot-unfaithful",
      .role = ProbeRole::kFlags,
      .read = read,
      .standard_samples = standard_samples,
      .cost = cost,
      .nothing_to_do = nothing_to_do,
      .run = run,
  });
  return probe;
}

}  // namespace forensics::probes
