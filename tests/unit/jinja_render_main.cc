// The C++ side of the chat-template parity test (tests/parity/jinja_template_parity.py): renders
// many (template, context) cases in one process, so the test does not start a process per case.
//
//   forensics_jinja_render --cases CASES_JSON     writes a JSON array of results to stdout
//   forensics_jinja_render TEMPLATE CONTEXT_JSON  prints one render (exit 1 and the error if it fails)
//
// CASES_JSON: {"templates": {NAME: PATH}, "cases": [{"template": NAME, "context": {...},
// "now": "2024-09-26T14:05:09"}]}. Each result is {"text": ...} or {"error": ..., "kind": ...,
// "message": ...}; kind is syntax, unsupported, runtime, raised or limit.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include "forensics/jinja/template.h"
#include "forensics/util/json_document.h"

namespace {

using forensics::Json;
using forensics::jinja::RenderOptions;
using forensics::jinja::Template;
using forensics::jinja::TemplateError;
using forensics::jinja::TemplateErrorKind;

constexpr std::size_t kMaxInputBytes = 256 * 1024 * 1024;

const char* kind_name(TemplateErrorKind kind) {
  switch (kind) {
    case TemplateErrorKind::kSyntax: return "syntax";
    case TemplateErrorKind::kUnsupported: return "unsupported";
    case TemplateErrorKind::kRuntime: return "runtime";
    case TemplateErrorKind::kRaised: return "raised";
    case TemplateErrorKind::kLimit: return "limit";
  }
  return "";
}

// "YYYY-MM-DDTHH:MM:SS" with the weekday and day of the year filled in, for strftime's %a and %j.
std::tm parse_time(const std::string& text) {
  std::tm parts{};
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &parts.tm_year, &parts.tm_mon, &parts.tm_mday, &parts.tm_hour,
                  &parts.tm_min, &parts.tm_sec) != 6) {
    throw forensics::InputError("\"now\" must read YYYY-MM-DDTHH:MM:SS, got \"" + text + "\"");
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  const std::time_t seconds = timegm(&parts);
  gmtime_r(&seconds, &parts);
  return parts;
}

Json error_result(const TemplateError& error) {
  return Json{{"error", error.what()}, {"kind", kind_name(error.kind())}, {"message", error.message()}};
}

int render_cases(const std::string& path) {
  const Json input = forensics::util::parse_json_strict(forensics::util::read_text_file(path, kMaxInputBytes), path);
  std::map<std::string, Json> parsed;  // a template's Template, or its parse error
  std::map<std::string, Template> templates;
  for (const auto& [name, file] : input.at("templates").items()) {
    try {
      templates.emplace(name,
                        Template::parse(forensics::util::read_text_file(file.get<std::string>(), kMaxInputBytes)));
    } catch (const TemplateError& error) {
      parsed[name] = error_result(error);
    }
  }
  Json results = Json::array();
  for (const auto& item : input.at("cases")) {
    const std::string name = item.at("template").get<std::string>();
    if (parsed.count(name) != 0) {
      results.push_back(parsed[name]);
      continue;
    }
    RenderOptions options;
    if (item.contains("now")) options.now = parse_time(item.at("now").get<std::string>());
    try {
      results.push_back(Json{{"text", templates.at(name).render(item.at("context"), options)}});
    } catch (const TemplateError& error) {
      results.push_back(error_result(error));
    }
  }
  std::cout << results.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  return 0;
}

int render_one(const std::string& template_path, const std::string& context_path) {
  const Template chat_template = Template::parse(forensics::util::read_text_file(template_path, kMaxInputBytes));
  const Json context =
      forensics::util::parse_json_strict(forensics::util::read_text_file(context_path, kMaxInputBytes), context_path);
  std::cout << chat_template.render(context);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "--cases") return render_cases(argv[2]);
    if (argc == 3) return render_one(argv[1], argv[2]);
    std::cerr << "usage: forensics_jinja_render --cases CASES_JSON | TEMPLATE CONTEXT_JSON\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "forensics_jinja_render: " << error.what() << "\n";
    return 1;
  }
}
