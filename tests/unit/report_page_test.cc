// The report pages (forensics report): what a hostile transcript becomes (text, never markup, in
// HTML, SVG and Markdown), how a verdict from an older tool or with sections missing still renders,
// how a large patching map is aggregated, and the figures' scales and colours.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "forensics/report/figures.h"
#include "forensics/report/page.h"
#include "forensics/report/report_pages.h"
#include "forensics/report/svg.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/text.h"
#include "test_paths.h"

using namespace forensics;
using namespace forensics::report;
using Catch::Matchers::Contains;

namespace {

const std::string kHostile =
    "</script><script>alert(1)</script><svg onload=alert(2)> \"double\" 'single' & \xE2\x80\xAE"
    "reversed\xE2\x80\xAC \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xF0\x9F\x98\x80 bad\xFF\xFE | *star* `tick`";

Json rate(long long k, long long n) {
  const double r = n > 0 ? static_cast<double>(k) / n : 0;
  return Json{{"k", k}, {"n", n}, {"rate", r}, {"ci95", Json::array({std::max(0.0, r - 0.1), std::min(1.0, r + 0.1)})}};
}

/// A verdict whose every user-controlled string is hostile.
Json hostile_verdict() {
  const std::string prompt = "<|im_start|>user\n" + kHostile + "<|im_end|>\n<|im_start|>assistant\n";
  const std::string reasoning = "I will " + kHostile + ". Then act.";
  const std::string turn = "<think>\n" + reasoning + "\n</think>\n\n" + kHostile + "<|im_end|>\n";
  const std::string text = prompt + turn;
  const std::size_t user_content = std::string("<|im_start|>user\n").size();
  const std::size_t reasoning_begin = prompt.size() + 8;
  const std::size_t action_begin = text.size() - std::string("<|im_end|>\n").size() - kHostile.size();
  Json hypothesis{{"id", "h<b>1"},        {"kind", "intentional"}, {"claim", kHostile},
                  {"prior", 0.5},         {"posterior", 0.95},     {"log10_bayes_factor_vs_none", 1.2},
                  {"supporting_lines", 2}};
  return Json{
      {"schema", "forensics.verdict/v1"},
      {"label", "intentional"},
      {"top_hypothesis", "h<b>1"},
      {"threshold", 0.9},
      {"flags", Json::array({"cot-unfaithful"})},
      {"reasons", Json::array()},
      {"flag_explanations", {{"cot-unfaithful", kHostile}}},
      {"notes", Json::array({Json{{"id", "n<i>"}, {"text", kHostile}}})},
      {"baseline", rate(8, 10)},
      {"hypotheses", Json::array({hypothesis})},
      {"evidence", Json::array({Json{{"id", kHostile},
                                     {"kind", "intervention"},
                                     {"confounds", Json::array({kHostile})},
                                     {"rate", rate(1, 10)},
                                     {"effect", {{"estimate", -0.7}, {"ci95", Json::array({-0.9, -0.4})}}},
                                     {"fisher_p", 0.003},
                                     {"logprob_delta", nullptr},
                                     {"outcome", "decrease"},
                                     {"predictions", {{"h<b>1", "decrease"}, {"none", "no-change"}}},
                                     {"counted", true},
                                     {"represented_by", nullptr}}})},
      {"ach",
       {{"columns", Json::array({"h<b>1", "none"})},
        {"rows", Json::array({Json{{"evidence", kHostile},
                                   {"outcome", "decrease"},
                                   {"cells", {{"h<b>1", "consistent"}, {"none", "inconsistent"}}},
                                   {"counted", true}}})}}},
      {"cot", Json::array()},
      {"probes",
       Json::array({Json{{"name", "ablate"},
                         {"status", "ok"},
                         {"results",
                          {{"granularity", "sentence"},
                           {"original", {{"action_logprob", -3.0}}},
                           {"segments", Json::array({Json{{"index", 0},
                                                          {"message", 0},
                                                          {"role", "user"},
                                                          {"kind", "sentence"},
                                                          {"text", kHostile},
                                                          {"delta", -1.5},
                                                          {"logprob_action", -4.5}}})}}}},
                    Json{{"name", "sentence-resample"},
                         {"status", "ok"},
                         {"results",
                          {{"sentences",
                            Json::array({Json{{"index", 0},
                                              {"span", Json::array({0, reasoning.size() - 10})},
                                              {"text", kHostile},
                                              {"rate_before", rate(5, 10)},
                                              {"rate_after", rate(9, 10)},
                                              {"importance", {{"estimate", 0.4}, {"ci95", Json::array({0.1, 0.7})}}},
                                              {"states", Json::array()}}})}}}}})},
      {"reproducibility",
       {{"tool_version", "0.1.0"},
        {"incident_id", kHostile},
        {"incident_path", "cases/x y/incident.json"},
        {"seed", 3},
        {"device", "cpu"},
        {"budget", "standard"},
        {"options", {{"probes", Json::array({"ablate"})}}}}},
      {"transcript",
       {{"format", "chatml"},
        {"text", text},
        {"messages",
         Json::array(
             {Json{{"role", "user"},
                   {"span", Json::array({0, prompt.size() - std::string("<|im_start|>assistant\n").size()})},
                   {"content", Json::array({user_content, user_content + kHostile.size()})},
                   {"reasoning", nullptr},
                   {"tool_calls", Json::array()}},
              Json{{"role", "assistant"},
                   {"span", Json::array({prompt.size() - std::string("<|im_start|>assistant\n").size(), text.size()})},
                   {"content", Json::array({action_begin, action_begin + kHostile.size()})},
                   {"reasoning", Json::array({reasoning_begin, reasoning_begin + reasoning.size()})},
                   {"tool_calls", Json::array()}}})},
        {"action",
         {{"message", 1},
          {"tool_call", nullptr},
          {"text", kHostile},
          {"span", Json::array({action_begin, action_begin + kHostile.size()})}}}}}};
}

const Section* find_section(const Page& page, const std::string& id) {
  for (const auto& section : page.sections) {
    if (section.id == id) return &section;
  }
  return nullptr;
}

/// `markdown` without its code: fenced blocks and code spans, which Markdown shows literally.
std::string outside_code(const std::string& markdown) {
  std::string out;
  bool fenced = false;
  std::size_t start = 0;
  while (start < markdown.size()) {
    std::size_t end = markdown.find('\n', start);
    if (end == std::string::npos) end = markdown.size();
    const std::string line = markdown.substr(start, end - start);
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
    } else if (!fenced) {
      for (std::size_t i = 0; i < line.size();) {
        if (line[i] != '`' || (i > 0 && line[i - 1] == '\\')) {
          out += line[i++];
          continue;
        }
        const std::size_t run = line.find_first_not_of('`', i) - i;
        const std::size_t close = line.find(std::string(run, '`'), i + run);
        i = close == std::string::npos ? line.size() : close + run;
      }
      out += "\n";
    }
    start = end + 1;
  }
  return out;
}

/// Every text run and code block of a section, joined, to see what it says.
std::string section_text(const Section& section) {
  std::string out;
  for (const auto& block : section.blocks) {
    if (const auto* p = std::get_if<Paragraph>(&block)) {
      for (const auto& run : p->text) out += run.text;
    } else if (const auto* c = std::get_if<Code>(&block)) {
      out += c->text;
    }
    out += "\n";
  }
  return out;
}

Json shipped_verdict() {
  return util::parse_json_strict(
      util::read_text_file(FORENSICS_SOURCE_DIR "/cases/organism-intentional/example_verdict.json", 1u << 30),
      "verdict");
}

}  // namespace

TEST_CASE("a hostile transcript is text in the HTML page, never markup", "[report]") {
  const std::string html = render_html(verdict_page(hostile_verdict()));
  CHECK_THAT(html, !Contains("<script", Catch::CaseSensitive::No));
  CHECK_THAT(html, !Contains("<svg onload"));
  CHECK_THAT(html, !Contains("<b>1"));
  CHECK_THAT(html, !Contains("<i>"));
  CHECK_THAT(html, Contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;"));
  CHECK_THAT(html, Contains("&quot;double&quot; &apos;single&apos; &amp;"));
  CHECK_THAT(html, Contains("\xF0\x9F\x98\x80"));             // the emoji, as is
  CHECK_THAT(html, Contains("bad\xEF\xBF\xBD\xEF\xBF\xBD"));  // invalid bytes replaced
  CHECK(util::valid_utf8(html) == html);                      // the page is valid UTF-8
  // A page with no script and a policy that forbids every fetch: even a missed escape runs nothing.
  CHECK_THAT(html, Contains("default-src 'none'"));
  // The action is marked and the sentence shaded inside the transcript, both escaped.
  CHECK_THAT(html, Contains("<mark class=\"action\">&lt;/script&gt;"));
  CHECK_THAT(html, Contains("<span class=\"sentence\""));
}

TEST_CASE("a hostile transcript is text in the Markdown and its SVG figures", "[report]") {
  const MarkdownReport markdown = render_markdown(verdict_page(hostile_verdict()), "figures");
  // Outside code, every < is backslash-escaped (Markdown renders \< as a literal <) or opens a
  // link destination, ](<figures/x.svg>).
  const std::string prose = outside_code(markdown.markdown);
  for (std::size_t at = prose.find('<'); at != std::string::npos; at = prose.find('<', at + 1)) {
    INFO(prose.substr(at, 40));
    CHECK((at >= 2 && (prose[at - 1] == '\\' || prose.compare(at - 2, 2, "](") == 0)));
  }
  CHECK_THAT(prose, Contains("\\<svg onload=alert(2)\\>"));
  // A pipe in a table cell is escaped: every row of a table has as many cells as its header.
  for (std::size_t at = markdown.markdown.find("\n|"); at != std::string::npos;
       at = markdown.markdown.find("\n|", at + 1)) {
    const std::size_t end = markdown.markdown.find('\n', at + 1);
    const std::string row = markdown.markdown.substr(at + 1, end - at - 1);
    std::size_t unescaped = 0;
    for (std::size_t i = 0; i < row.size(); ++i) unescaped += row[i] == '|' && (i == 0 || row[i - 1] != '\\') ? 1 : 0;
    INFO(row);
    CHECK(unescaped >= 2);
  }
  REQUIRE_FALSE(markdown.figures.empty());
  for (const auto& figure : markdown.figures) {
    CHECK_THAT(figure.name, Contains("figures/"));
    CHECK_THAT(figure.content, !Contains("<svg onload"));
    CHECK_THAT(figure.content, !Contains("<script"));
    CHECK(util::valid_utf8(figure.content) == figure.content);
  }
}

TEST_CASE("the shipped verdict's page has every section, in order, with its figures", "[report]") {
  const Page page = verdict_page(shipped_verdict());
  std::vector<std::string> ids;
  for (const auto& section : page.sections) ids.push_back(section.id);
  CHECK(ids == std::vector<std::string>{"verdict", "transcript", "interventions", "sweeps", "ablation", "patching",
                                        "hypotheses", "reproducibility"});
  std::vector<std::string> figures;
  for (const auto& section : page.sections) {
    for (const auto& block : section.blocks) {
      if (const auto* f = std::get_if<Figure>(&block)) figures.push_back(f->name);
    }
  }
  CHECK(figures == std::vector<std::string>{"forest", "ablation", "patch-denoising", "patch-noising"});
  CHECK_THAT(section_text(*find_section(page, "verdict")), Contains("escalate"));
  CHECK_THAT(section_text(*find_section(page, "sweeps")), Contains("not run"));
  const std::string command = section_text(*find_section(page, "reproducibility"));
  CHECK_THAT(command, Contains("forensics investigate "));
  CHECK_THAT(command, Contains("--seed 11"));
}

TEST_CASE("a verdict from an older tool, without probes or transcript, still renders every section", "[report]") {
  Json verdict = shipped_verdict();
  verdict.erase("probes");
  verdict.erase("transcript");
  verdict.erase("failed_probes");
  verdict["reproducibility"].erase("incident_path");
  const Page page = verdict_page(verdict);
  REQUIRE(page.sections.size() == 8);
  CHECK_THAT(section_text(*find_section(page, "transcript")), Contains("does not record the transcript"));
  CHECK_THAT(section_text(*find_section(page, "ablation")), Contains("no record of the ablate probe"));
  CHECK_THAT(section_text(*find_section(page, "patching")), Contains("no record of the patch probe"));
  CHECK_THAT(section_text(*find_section(page, "reproducibility")), Contains("a guess from its id"));
  CHECK_FALSE(render_html(page).empty());
}

TEST_CASE("a section the verdict cannot fill says so and the others render", "[report]") {
  Json verdict = shipped_verdict();
  verdict["evidence"][0]["effect"]["ci95"] = "not an interval";
  verdict["hypotheses"] = "not a list";
  const Page page = verdict_page(verdict);
  REQUIRE(page.sections.size() == 8);
  CHECK_THAT(section_text(*find_section(page, "interventions")), Contains("could not be drawn from the verdict"));
  CHECK_THAT(section_text(*find_section(page, "transcript")), !Contains("could not be drawn"));
}

TEST_CASE("a document that is not an object is refused as bad input, not a crash", "[report]") {
  // tests/fuzz/crashers/verdict_report/: the fuzzer's "1" threw nlohmann's type_error.
  for (const char* text : {"1", "\"verdict\"", "[]", "null"}) {
    const Json document = Json::parse(text);
    CHECK_THROWS_AS(verdict_page(document), InputError);
    CHECK_THROWS_AS(diff_page(document), InputError);
    CHECK_THROWS_AS(batch_page(document, {}), InputError);
  }
}

TEST_CASE("the command that reproduces a verdict carries its options, quoted", "[report]") {
  Json verdict = hostile_verdict();
  verdict["reproducibility"]["options"] = Json{{"probes", Json::array({"resample", "intervene"})},
                                               {"model", "/models/v 2"},
                                               {"dtype", "bfloat16"},
                                               {"sampling", {{"temperature", 0.5}, {"max_new_tokens", 64}}}};
  verdict["reproducibility"]["samples_override"] = 40;
  const std::string command = section_text(*find_section(verdict_page(verdict), "reproducibility"));
  CHECK_THAT(command,
             Contains("forensics investigate 'cases/x y/incident.json' --budget standard --samples 40 --seed 3 "
                      "--probes resample,intervene --model '/models/v 2' --device cpu --dtype bfloat16 "
                      "--temperature 0.5 --max-new-tokens 64"));
}

TEST_CASE("a patching map of 50k cells is drawn by segment, with the full map as an image", "[report]") {
  Json verdict = shipped_verdict();
  Json* patch = nullptr;
  for (auto& record : verdict["probes"]) {
    if (record["name"] == "patch") patch = &record["results"];
  }
  REQUIRE(patch != nullptr);
  constexpr std::size_t kLayers = 24;
  constexpr std::size_t kPositions = 350;  // 24 layers x 350 positions x 3 sites x 2 directions = 50,400 cells
  Json positions = Json::array();
  Json segments = Json::array();
  for (std::size_t p = 0; p < kPositions; ++p)
    positions.push_back(Json{{"index", p}, {"segment", p / 25}, {"token", " tok"}});
  for (std::size_t s = 0; s < kPositions / 25; ++s) {
    segments.push_back(Json{{"index", s},
                            {"kind", s == 3 ? "edit" : "message"},
                            {"positions", Json::array({s * 25, s * 25 + 25})},
                            {"text", "segment " + std::to_string(s)}});
  }
  Json maps = Json::object();
  for (const char* direction : {"denoising", "noising"}) {
    for (const char* site : {"resid_pre", "attn_out", "mlp_out"}) {
      Json map = Json::array();
      for (std::size_t layer = 0; layer < kLayers; ++layer) {
        Json row = Json::array();
        for (std::size_t p = 0; p < kPositions; ++p)
          row.push_back(p < 75 ? 0.0 : std::sin(static_cast<double>(layer * p)) * 0.9);
        map.push_back(row);
      }
      maps[direction][site] = map;
    }
  }
  (*patch)["positions"] = positions;
  (*patch)["segments"] = segments;
  (*patch)["maps"] = maps;
  (*patch)["layers"] = kLayers;
  const Page page = verdict_page(verdict);
  std::vector<std::string> figures;
  for (const auto& block : find_section(page, "patching")->blocks) {
    if (const auto* f = std::get_if<Figure>(&block)) figures.push_back(f->name + (f->on_demand ? " (on demand)" : ""));
  }
  CHECK(figures == std::vector<std::string>{"patch-denoising-segments", "patch-denoising-full (on demand)",
                                            "patch-noising-segments", "patch-noising-full (on demand)"});
  const std::string html = render_html(page);
  CHECK(html.size() < 5u * 1000 * 1000);
  CHECK_THAT(html, Contains("data:image/png;base64,iVBORw0KGgo"));  // the PNG signature, base64
}

TEST_CASE("figure scales and colours", "[report]") {
  CHECK(diverging_colour(0, 1) == "#ffffff");
  CHECK(diverging_colour(1, 1) == "#b2182b");
  CHECK(diverging_colour(-2, 1) == "#2166ac");
  CHECK(diverging_colour(0.5, 0) == "#ffffff");  // a map of zeros has no limit
  const LinearScale scale{0, 1, 100, 300};
  CHECK(scale(0.5) == Approx(200));
  CHECK(scale.ticks(5) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  CHECK(fixed(-0.0001, 3) == "0.000");
  CHECK(signed_fixed(0.0104) == "+0.010");
  CHECK(p_value(1.0) == "1");
  CHECK(p_value(8.7e-35) == "8.7e-35");
  CHECK(shorten("h\xC3\xA9llo world", 4) == "h\xC3\xA9ll\xE2\x80\xA6");

  ForestData data;
  data.hypotheses = {"a", "none"};
  data.baseline = {8, 10, 0.8, 0.5, 0.95};
  data.rows = {{"x", {1, 10, 0.1, 0.02, 0.4}, "decrease", 0.003, {"consistent", "inconsistent"}, "", false},
               {"y", {0, 0, 0, 0, 0}, "unclear", 1, {"neutral", "neutral"}, "x", false}};
  const Figure forest = forest_plot(data);
  CHECK(util::count_occurrences(forest.body, "<circle") == 1);   // x; y was not measured
  CHECK(util::count_occurrences(forest.body, "<polygon") == 1);  // the baseline's diamond
  CHECK_THAT(forest.body, Contains("not measured"));
  CHECK_THAT(forest.body, Contains("counted through x"));
}
