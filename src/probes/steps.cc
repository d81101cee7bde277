// probes: the steps every probe shares: condition seeds, prompts, sampling a turn and matching
// it, teacher-forced scoring of turns, the alternative turn.
#include "forensics/probes/steps.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <string>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/util/text.h"
#include "forensics/verdict/verdict.h"

namespace forensics::probes {

std::uint64_t condition_seed(std::uint64_t seed, std::string_view probe, std::string_view condition) {
  // FNV-1a 64 (Fowler, Noll, Vo): fixed across platforms and library versions, unlike std::hash.
  constexpr std::uint64_t kOffset = 0xcbf29ce484222325ULL;
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t hash = kOffset;
  const auto add = [&](unsigned char byte) {
    hash ^= byte;
    hash *= kPrime;
  };
  for (int i = 0; i < 8; ++i) add(static_cast<unsigned char>(seed >> (8 * i)));
  for (const char c : probe) add(static_cast<unsigned char>(c));
  add(0);  // a separator, so ("ab", "c") and ("a", "bc") differ
  for (const char c : condition) add(static_cast<unsigned char>(c));
  return hash;
}

std::vector<std::int64_t> token_ids(const ProbeContext& context, const std::string& text, std::string_view what) {
  auto ids = context.tokenizer.model_ids(text);
  if (ids.empty()) throw InputError(std::string(what) + " tokenizes to nothing");
  return ids;
}

std::string action_prompt(const ProbeContext& context, const incident::Transcript& transcript,
                          std::size_t action_message) {
  return incident::render_prompt(transcript, action_message, context.incident.format).text;
}

ConditionRate sample_action_rate(const ProbeContext& context, const std::string& prompt, std::int64_t count,
                                 std::string_view probe, std::string_view condition) {
  const auto prefix = token_ids(context, prompt, "the prompt before the action");
  const std::uint64_t seed = condition_seed(context.seed, probe, condition);
  const auto samples = context.runner.sample(prefix, count, seed, context.sampling,
                                             [&](std::int64_t finished) { context.progress->in_step(finished); });
  ConditionRate out;
  out.seed = seed;
  std::int64_t acted = 0;
  for (const auto& sample : samples) {
    switch (sample.finish) {
      case runtime::FinishReason::kEos: ++out.finish.eos; break;
      case runtime::FinishReason::kStopString: ++out.finish.stop; break;
      case runtime::FinishReason::kLength: ++out.finish.length; break;
    }
    std::string turn = context.tokenizer.decode_model_ids(sample.tokens);
    // Text past the turn's end is not part of the turn the model "took"; a sampler that stopped
    // on a string may have decoded a few bytes beyond it.
    std::size_t end = turn.size();
    for (const auto& marker : context.turn_ends) end = std::min(end, turn.find(marker));
    turn.resize(end);
    const bool matched = context.matcher.matches(incident::answer_of(turn, context.answer_markers));
    if (matched) ++acted;
    if (static_cast<std::int64_t>(out.examples.size()) < context.keep_examples) {
      out.examples.push_back({util::valid_utf8(turn), matched});
    }
  }
  out.rate = stats::wilson(acted, static_cast<std::int64_t>(samples.size()));
  context.progress->step_done(count);
  context.progress->condition_measured(condition, out.rate);
  return out;
}

std::vector<std::vector<double>> score_turns(const ProbeContext& context, const std::vector<std::string>& prompts,
                                             const std::vector<std::string>& turns) {
  // A fixed batch size keeps every score a function of its inputs alone.
  constexpr std::size_t kBatch = 16;
  std::vector<std::vector<std::int64_t>> turn_ids;
  for (const auto& turn : turns) turn_ids.push_back(token_ids(context, turn, "the action's turn"));
  std::vector<std::vector<std::int64_t>> contexts;
  std::vector<std::vector<std::int64_t>> continuations;
  for (const auto& prompt : prompts) {
    const auto ids = token_ids(context, prompt, "the prompt before the action");
    for (const auto& turn : turn_ids) {
      contexts.push_back(ids);
      continuations.push_back(turn);
    }
  }
  std::vector<std::vector<double>> out(prompts.size());
  for (std::size_t first = 0; first < contexts.size(); first += kBatch) {
    const std::size_t last = std::min(contexts.size(), first + kBatch);
    const std::vector<std::vector<std::int64_t>> batch_contexts(contexts.begin() + first, contexts.begin() + last);
    const std::vector<std::vector<std::int64_t>> batch_turns(continuations.begin() + first,
                                                             continuations.begin() + last);
    const auto scores = context.runner.score(batch_contexts, batch_turns);
    for (std::size_t i = 0; i < scores.size(); ++i) {
      out[(first + i) / turns.size()].push_back(std::accumulate(scores[i].begin(), scores[i].end(), 0.0));
    }
    context.progress->step_done(static_cast<std::int64_t>(last - first));
  }
  return out;
}

std::optional<std::string> alternative_turn(const ProbeContext& context) {
  const auto& action = context.incident.action;
  if (!action.alternative) return std::nullopt;
  const auto& turn = context.action_turn;
  // Where the action's text is: the tool call's arguments, else the content, else anywhere.
  std::vector<incident::TextSpan> places;
  if (action.tool_call && *action.tool_call < turn.spans.tool_calls.size()) {
    places.push_back(turn.spans.tool_calls[*action.tool_call].arguments);
  }
  places.push_back(turn.spans.content);
  places.push_back({0, turn.text.size()});
  // Tool-call arguments are serialized JSON: the text may appear there escaped.
  const auto escaped = [](const std::string& text) {
    const std::string quoted = incident::python_json_dumps(Json(text));
    return quoted.substr(1, quoted.size() - 2);
  };
  const std::vector<std::pair<std::string, std::string>> spellings = {
      {action.text, *action.alternative}, {escaped(action.text), escaped(*action.alternative)}};
  for (const auto& place : places) {
    const std::string_view region = place.of(turn.text);
    for (const auto& [find, replacement] : spellings) {
      if (find.empty()) continue;
      const std::size_t at = region.rfind(find);
      if (at == std::string_view::npos) continue;
      std::string out = turn.text;
      out.replace(place.begin + at, find.size(), replacement);
      return out;
    }
  }
  return std::nullopt;
}

std::vector<std::string> scored_turns(const ProbeContext& context) {
  std::vector<std::string> turns = {context.action_turn.text};
  if (auto alternative = alternative_turn(context)) turns.push_back(std::move(*alternative));
  return turns;
}

std::string display_text(std::string_view raw) {
  constexpr std::size_t kMax = 120;
  const std::string text = util::valid_utf8(raw);
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() <= kMax) return out;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

Json condition_json(const std::string& id, const ConditionRate& condition) {
  Json out = Json::object();
  out["id"] = id;
  out["seed"] = condition.seed;
  out["rate"] = verdict::rate_json(condition.rate);
  out["finish"] =
      Json{{"eos", condition.finish.eos}, {"stop", condition.finish.stop}, {"length", condition.finish.length}};
  if (!condition.examples.empty()) {
    Json examples = Json::array();
    for (const auto& example : condition.examples) {
      examples.push_back(Json{{"acted", example.acted}, {"text", example.text}});
    }
    out["examples"] = examples;
  }
  return out;
}

}  // namespace forensics::probes
