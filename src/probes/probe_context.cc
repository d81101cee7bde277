// probes: the steps every sampling probe shares: condition seeds, prompts, sampling a turn and
// matching it, teacher-forced scoring of a turn.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "forensics/probes/probe.h"
#include "forensics/util/error.h"
#include "forensics/util/text.h"

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

std::vector<std::int64_t> encode(const ProbeContext& context, const std::string& text) {
  const auto ids = context.tokenizer.encode(text, /*add_special_tokens=*/false).ids;
  return {ids.begin(), ids.end()};
}

std::string action_prompt(const ProbeContext& context, const incident::Transcript& transcript,
                          std::size_t action_message) {
  return incident::render_prompt(transcript, action_message, context.incident.format.chat_template).text;
}

ConditionRate sample_action_rate(const ProbeContext& context, const std::string& prompt,
                                 std::int64_t count, std::uint64_t seed) {
  const auto prefix = encode(context, prompt);
  if (prefix.empty()) throw InputError("the prompt before the action tokenizes to nothing");
  const auto samples = runtime::sample_continuations(context.model, prefix, count, seed,
                                                     context.sampling, &context.tokenizer);
  ConditionRate out;
  out.seed = seed;
  std::int64_t acted = 0;
  for (const auto& sample : samples) {
    switch (sample.finish) {
      case runtime::FinishReason::kEos: ++out.finish.eos; break;
      case runtime::FinishReason::kStopString: ++out.finish.stop; break;
      case runtime::FinishReason::kLength: ++out.finish.length; break;
    }
    const std::vector<std::uint32_t> ids(sample.tokens.begin(), sample.tokens.end());
    std::string turn = context.tokenizer.decode(ids, /*skip_special_tokens=*/false);
    // Text past the turn's end is not part of the turn the model "took"; a sampler that stopped
    // on a string may have decoded a few bytes beyond it.
    std::size_t end = turn.size();
    for (const auto& marker : context.turn_ends) end = std::min(end, turn.find(marker));
    turn.resize(end);
    if (context.matcher.matches(turn)) ++acted;
  }
  out.rate = stats::wilson(acted, static_cast<std::int64_t>(samples.size()));
  return out;
}

std::vector<double> turn_logprobs(const ProbeContext& context, const std::string& prompt,
                                  const std::vector<std::string>& turns) {
  const auto prefix = encode(context, prompt);
  if (prefix.empty()) throw InputError("the prompt before the action tokenizes to nothing");
  std::vector<std::vector<std::int64_t>> contexts;
  std::vector<std::vector<std::int64_t>> continuations;
  for (const auto& turn : turns) {
    auto ids = encode(context, turn);
    if (ids.empty()) throw InputError("the action's turn tokenizes to nothing");
    contexts.push_back(prefix);
    continuations.push_back(std::move(ids));
  }
  std::vector<double> out;
  for (const auto& tokens : runtime::score_continuations(context.model, contexts, continuations)) {
    double total = 0;
    for (const double logprob : tokens) total += logprob;
    out.push_back(total);
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

Json rate_json(const stats::Rate& rate) {
  Json out = Json::object();
  out["k"] = rate.k;
  out["n"] = rate.n;
  out["rate"] = rate.estimate;
  out["ci95"] = Json::array({rate.ci.low, rate.ci.high});
  return out;
}

Json condition_json(const std::string& id, const ConditionRate& condition) {
  Json out = Json::object();
  out["id"] = id;
  out["seed"] = condition.seed;
  out["rate"] = rate_json(condition.rate);
  out["finish"] = Json{{"eos", condition.finish.eos}, {"stop", condition.finish.stop},
                       {"length", condition.finish.length}};
  return out;
}

}  // namespace forensics::probes
