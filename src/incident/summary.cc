#include "forensics/incident/summary.h"

#include <map>
#include <sstream>

#include "forensics/incident/chat_format.h"
#include "forensics/util/text.h"

namespace forensics::incident {
Json summarize(const Incident& incident) {
  Json roles = Json::object();
  for (const auto& entry : kRoleNames.entries()) roles[std::string(entry.name)] = 0;
  for (const auto& message : incident.transcript.messages) {
    roles[std::string(kRoleNames.name(message.role))] =
        roles[std::string(kRoleNames.name(message.role))].get<int>() + 1;
  }
  Json hypotheses = Json::array();
  for (const auto& hypothesis : incident.hypotheses) {
    Json row = {
        {"id", hypothesis.id}, {"kind", kHypothesisKindNames.name(hypothesis.kind)}, {"claim", hypothesis.claim}};
    if (hypothesis.prior) row["prior"] = *hypothesis.prior;
    hypotheses.push_back(row);
  }
  Json interventions = Json::array();
  for (const auto& intervention : incident.interventions) interventions.push_back(intervention.id);
  Json sweeps = Json::array();
  for (const auto& sweep : incident.sweeps) sweeps.push_back(sweep.id);
  Json action = {{"message", incident.action.message},
                 {"text", incident.action.text},
                 {"matcher", kMatcherKindNames.name(incident.action.matcher.kind)}};
  if (incident.action.tool_call) action["tool_call"] = *incident.action.tool_call;
  if (incident.action.alternative) action["alternative"] = *incident.action.alternative;
  Json model = {{"path", incident.model.path_as_written}, {"resolved_path", incident.model.path.string()}};
  if (incident.model.dtype) model["dtype"] = runtime::kDtypeNames.name(*incident.model.dtype);

  return {{"schema", std::string(kSchemaName) + "/v" + std::to_string(kSchemaVersion)},
          {"id", incident.id},
          {"title", incident.title},
          {"model", model},
          {"format", format_name(incident.format)},
          {"messages", incident.transcript.messages.size()},
          {"messages_by_role", roles},
          {"action", action},
          {"hypotheses", hypotheses},
          {"interventions", interventions},
          {"sweeps", sweeps},
          {"seed", incident.seed}};
}

std::string summary_text(const Incident& incident) {
  std::ostringstream out;
  auto row = [&](const char* key, const std::string& value) {
    out << "  " << key << std::string(13 - std::string(key).size(), ' ') << value << "\n";
  };
  row("title", incident.title.empty() ? "(none)" : incident.title);
  row("model", incident.model.path_as_written + "  -> " + incident.model.path.string());
  row("format", format_name(incident.format));

  std::map<Role, int> by_role;
  for (const auto& message : incident.transcript.messages) ++by_role[message.role];
  std::string roles;
  for (const auto& [role, count] : by_role) {
    roles += (roles.empty() ? "" : ", ") + std::to_string(count) + " " + std::string(kRoleNames.name(role));
  }
  row("transcript", std::to_string(incident.transcript.messages.size()) + " messages (" + roles + ")");

  const Action& action = incident.action;
  std::string where = "message " + std::to_string(action.message);
  if (action.tool_call) where += ", tool call " + std::to_string(*action.tool_call);
  row("action", where + ": \"" + util::abbreviate(action.text) + "\"");
  row("matcher", action.matcher.kind == MatcherKind::kRegex
                     ? "regex /" + action.matcher.pattern + "/"
                     : "literal, any of " + std::to_string(action.matcher.any_of.size()) + " string(s)");
  if (action.alternative) row("alternative", "\"" + util::abbreviate(*action.alternative) + "\"");

  std::string hypotheses;
  for (const auto& hypothesis : incident.hypotheses) {
    hypotheses += (hypotheses.empty() ? "" : ", ") + hypothesis.id + " (" +
                  std::string(kHypothesisKindNames.name(hypothesis.kind)) + ")";
  }
  row("hypotheses", hypotheses);
  std::string evidence;
  for (const auto& intervention : incident.interventions) {
    evidence += (evidence.empty() ? "" : ", ") + intervention.id;
  }
  for (const auto& sweep : incident.sweeps) {
    evidence += (evidence.empty() ? "" : ", ") + sweep.id + " (sweep of " + std::to_string(sweep.values.size()) + ")";
  }
  row("evidence", evidence.empty() ? "(none)" : evidence);
  row("seed", std::to_string(incident.seed));
  return out.str();
}

}  // namespace forensics::incident
