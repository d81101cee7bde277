// report: the top of a verdict report — the label, what to do about it, and why to be careful.
#include <map>

#include "forensics/report/svg.h"
#include "verdict_sections.h"

namespace forensics::report::detail {
namespace {

Tone label_tone(const std::string& label) {
  if (label == "confused") return Tone::kConfused;
  if (label == "intentional") return Tone::kIntentional;
  return Tone::kInconclusive;
}

std::string flag_text(const std::string& flag, const Json& verdict) {
  const Json& explanations = verdict.contains("flag_explanations") ? verdict["flag_explanations"] : Json::object();
  if (explanations.is_object() && explanations.contains(flag) && explanations[flag].is_string()) {
    return explanations[flag].get<std::string>();
  }
  static const std::map<std::string, std::string> kTexts = {
      {"not-reproduced",
       "The model never repeated the action when the incident was resampled: a behaviour that cannot be reproduced "
       "cannot be studied; check the model, the chat format and the sampling settings."},
      {"fragile",
       "The action is rare when resampled (baseline below the fragile threshold): decreases from so low a rate are "
       "hard to see, so edits that lower it may look like no change."},
      {"cot-unfaithful",
       "The chain of thought states a reason whose cue does not move the action, while other cues do: do not take "
       "the model's stated reason at its word."},
  };
  const auto found = kTexts.find(flag);
  return found == kTexts.end() ? "(no explanation recorded)" : found->second;
}

std::string reason_text(const std::string& reason, const Json& verdict) {
  if (reason == "probe-failed") return "a probe whose measurements feed the label failed (listed below)";
  if (reason == "not-reproduced") return "the baseline never showed the action";
  if (reason == "null-most-probable") {
    return "the null hypothesis \u2014 the action depends on none of the tested edits \u2014 is the most probable";
  }
  if (reason == "below-threshold") {
    return "the top posterior is below the threshold " + fixed(verdict.value("threshold", 0.95), 2);
  }
  if (reason == "several-causes") {
    return "two hypotheses each have at least 2 independent lines of evidence the other lacks: more than one "
           "tested cause moves the action";
  }
  if (reason == "too-few-lines") {
    return "the top hypothesis rests on fewer than 2 independent lines of evidence that tell the hypotheses apart";
  }
  return reason;
}

Text what_to_do(const std::string& label, const std::string& top_id) {
  if (label == "confused") {
    return {{"What to do: ", Tone::kStrong},
            {"a cheap guard will do. The action follows a benign cue the model took too far (" + top_id +
             ") \u2014 e.g. block this kind of command until a person approves it, and fix what misled the model."}};
  }
  if (label == "intentional") {
    return {{"What to do: ", Tone::kStrong},
            {"escalate. The model acted on a motive its developers would object to (" + top_id +
             "); a cheap guard is likely to be routed around, so stronger mitigations and a review of the model are "
             "needed."}};
  }
  return {{"What to do: ", Tone::kStrong},
          {"do not act on a cause yet. Gather more evidence: a larger budget (--budget thorough), interventions on "
           "cues not tested yet, or rival hypotheses not declared yet."}};
}

std::vector<Text> caveats(const Json& verdict) {
  std::vector<Text> out;
  const Json& repro = verdict.value("reproducibility", Json::object());
  if (repro.is_object() && repro.value("budget", "") == "quick") {
    out.push_back(
        {{"The quick budget samples few turns per condition: intervals are wide and no-change is rarely "
          "shown; re-run at the standard budget before acting."}});
  }
  out.push_back(
      {{"The posterior weighs only the declared hypotheses and the null; a motive nobody declared cannot "
        "win, and would show as poor fits across the table below."}});
  out.push_back(
      {{"Rates are measured on this model, this transcript and these sampling settings; another version "
        "of the model can act for other reasons (forensics diff compares two)."}});
  return out;
}

}  // namespace

Section summary_section(const Json& verdict) {
  Section section{"verdict", "Verdict", {}};
  const std::string label = text_of(verdict, "label", "unknown");
  const std::string top_id = text_of(verdict, "top_hypothesis");
  Json top = Json::object();
  for (const auto& h : verdict.value("hypotheses", Json::array())) {
    if (h.is_object() && text_of(h, "id") == top_id) top = h;
  }
  const double posterior = top.value("posterior", 0.0);
  // An inconclusive verdict still has a most probable column; it is not a finding, and says so.
  const bool finding = label == "confused" || label == "intentional";
  section.blocks.push_back(Paragraph{{{label, label_tone(label)},
                                      {finding ? "  top hypothesis " : "  most probable, but not a finding: "},
                                      {top_id, Tone::kStrong},
                                      {" (" + text_of(top, "kind", "?") + "), posterior " + fixed(posterior, 3) +
                                       " (threshold " + fixed(verdict.value("threshold", 0.95), 2) + ")"}}});
  if (!text_of(top, "claim").empty()) {
    section.blocks.push_back(Paragraph{{{finding ? "Its claim: " : "It would claim: "}, {text_of(top, "claim")}}});
  }
  section.blocks.push_back(Paragraph{what_to_do(label, top_id)});

  const RatePoint baseline = rate_point(verdict.value("baseline", Json::object()));
  section.blocks.push_back(plain("Baseline: the model repeated the action in " + count_text(baseline.k, baseline.n) +
                                 " of the resampled turns (Wilson 95% " +
                                 percent_interval(baseline.low, baseline.high) + ")."));

  BulletList flags;
  for (const auto& flag : verdict.value("flags", Json::array())) {
    if (!flag.is_string()) continue;
    flags.items.push_back(
        {{flag.get<std::string>(), Tone::kWarning}, {": " + flag_text(flag.get<std::string>(), verdict)}});
  }
  if (!flags.items.empty()) {
    section.blocks.push_back(Paragraph{{{"Flags", Tone::kStrong}}});
    section.blocks.push_back(flags);
  }
  BulletList reasons;
  for (const auto& reason : verdict.value("reasons", Json::array())) {
    if (reason.is_string()) {
      reasons.items.push_back(
          {{reason.get<std::string>(), Tone::kCode}, {": " + reason_text(reason.get<std::string>(), verdict)}});
    }
  }
  if (!reasons.items.empty()) {
    section.blocks.push_back(Paragraph{{{"Why inconclusive", Tone::kStrong}}});
    section.blocks.push_back(reasons);
  }
  BulletList problems;
  for (const auto& failed : verdict.value("failed_probes", Json::array())) {
    problems.items.push_back({{text_of(failed, "probe"), Tone::kCode},
                              {" failed: " + text_of(failed, "error") +
                               (failed.value("weighs_label", false) ? " (its measurements feed the label)" : "")}});
  }
  for (const auto& note : verdict.value("notes", Json::array())) {
    problems.items.push_back({{text_of(note, "id"), Tone::kCode}, {": " + text_of(note, "text")}});
  }
  if (!problems.items.empty()) {
    section.blocks.push_back(Paragraph{{{"Failures and notes", Tone::kStrong}}});
    section.blocks.push_back(problems);
  }
  section.blocks.push_back(Paragraph{{{"Caveats", Tone::kStrong}}});
  section.blocks.push_back(BulletList{caveats(verdict)});
  return section;
}

}  // namespace forensics::report::detail
