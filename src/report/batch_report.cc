// report: the batch summary document and JUnit XML.
#include "forensics/report/batch_report.h"

#include <algorithm>
#include <cstdio>

#include "forensics/util/text.h"

namespace forensics::report {
namespace {

bool any(const std::vector<CaseOutcome>& cases, CaseStatus status) {
  return std::any_of(cases.begin(), cases.end(), [&](const CaseOutcome& c) { return c.status == status; });
}

std::string seconds(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

/// The failure text of a case: what differs, one field per line.
std::string failure_text(const CaseOutcome& outcome) {
  std::string out;
  for (const auto& difference : outcome.differences) out += to_string(difference) + "\n";
  return out;
}

/// An attribute value: the first line, at most 300 bytes (the whole text goes in the element).
std::string one_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

std::string failure_message(const CaseOutcome& outcome) {
  if (outcome.differences.size() == 1) return to_string(outcome.differences.front());
  return std::to_string(outcome.differences.size()) + " fields differ from " + outcome.expectation + ", first " +
         to_string(outcome.differences.front());
}

}  // namespace

int batch_exit_code(const std::vector<CaseOutcome>& cases) {
  if (any(cases, CaseStatus::kModelFailure)) return 4;
  if (any(cases, CaseStatus::kBadInput)) return 3;
  if (any(cases, CaseStatus::kIncomplete)) return 5;
  if (any(cases, CaseStatus::kFailed)) return 1;
  return 0;
}

Json batch_result_json(const std::vector<CaseOutcome>& cases, const Json& run) {
  Json rows = Json::array();
  Json counts = Json::object();
  for (const auto& entry : kCaseStatusNames.entries()) counts[std::string(entry.name)] = 0;
  for (const auto& c : cases) {
    const std::string status(kCaseStatusNames.name(c.status));
    counts[status] = counts[status].get<int>() + 1;
    Json differences = Json::array();
    for (const auto& d : c.differences) {
      differences.push_back(Json{{"field", d.field}, {"expected", d.expected}, {"observed", d.observed}});
    }
    Json row = Json::object();
    row["id"] = c.id;
    row["incident"] = c.incident;
    row["verdict"] = c.verdict.empty() ? Json(nullptr) : Json(c.verdict);
    row["status"] = status;
    row["resumed"] = c.resumed;
    row["label"] = c.label.empty() ? Json(nullptr) : Json(c.label);
    row["top_hypothesis"] = c.top_hypothesis.empty() ? Json(nullptr) : Json(c.top_hypothesis);
    row["posterior"] = c.label.empty() ? Json(nullptr) : Json(c.posterior);
    row["flags"] = c.flags;
    row["expectation"] = c.expectation.empty() ? Json(nullptr) : Json(c.expectation);
    row["differences"] = differences;
    row["error"] = c.error.empty() ? Json(nullptr) : Json(c.error);
    row["wall_time_s"] = c.wall_time_s;
    rows.push_back(row);
  }
  Json out = Json::object();
  out["schema"] = kBatchResultSchema;
  out["exit_code"] = batch_exit_code(cases);
  out["counts"] = counts;
  out["run"] = run;
  out["cases"] = rows;
  return out;
}

std::string xml_escape(std::string_view raw) {
  const std::string text = util::valid_utf8(raw);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows tab, newline and carriage return among the control characters, no other.
        if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string junit_xml(const std::vector<CaseOutcome>& cases, const std::string& suite_name) {
  std::size_t failures = 0;
  std::size_t errors = 0;
  double total = 0;
  for (const auto& c : cases) {
    failures += c.status == CaseStatus::kFailed ? 1 : 0;
    errors += (c.status == CaseStatus::kBadInput || c.status == CaseStatus::kModelFailure ||
               c.status == CaseStatus::kIncomplete)
                  ? 1
                  : 0;
    total += c.wall_time_s;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"" + xml_escape(suite_name) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" time=\"" +
         seconds(total) + "\">\n";
  out += "  <testsuite name=\"" + xml_escape(suite_name) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
         "\" skipped=\"0\" time=\"" + seconds(total) + "\">\n";
  for (const auto& c : cases) {
    out += "    <testcase classname=\"forensics.batch\" name=\"" + xml_escape(c.id) + "\" file=\"" +
           xml_escape(c.incident) + "\" time=\"" + seconds(c.wall_time_s) + "\">\n";
    switch (c.status) {
      case CaseStatus::kFailed:
        out += "      <failure message=\"" + xml_escape(one_line(failure_message(c))) + "\" type=\"expectation\">" +
               xml_escape(failure_text(c)) + "</failure>\n";
        break;
      case CaseStatus::kBadInput:
      case CaseStatus::kModelFailure:
      case CaseStatus::kIncomplete:
        out += "      <error message=\"" + xml_escape(one_line(c.error)) + "\" type=\"" +
               std::string(kCaseStatusNames.name(c.status)) + "\">" + xml_escape(c.error) + "</error>\n";
        break;
      case CaseStatus::kPassed:
      case CaseStatus::kUnchecked: break;
    }
    if (!c.summary.empty()) out += "      <system-out>" + xml_escape(c.summary) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace forensics::report
