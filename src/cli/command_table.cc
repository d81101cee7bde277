#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "command.h"

namespace forensics::cli {
namespace {

bool always(const CLI::App&) { return true; }

/// The parsed subcommand of `app` is one of `names`.
bool subcommand_in(const CLI::App& app, std::initializer_list<const char*> names) {
  for (const CLI::App* parsed : app.get_subcommands()) {
    for (const char* name : names) {
      if (parsed->get_name() == name) return true;
    }
  }
  return false;
}

}  // namespace

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "expected a number, got \"" + text + "\"";
        return std::isfinite(value) ? "" : "expected a finite number, got \"" + text + "\"";
      },
      "FINITE");
}

CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) return "expected a seed: a non-negative integer, got \"" + text + "\"";
        errno = 0;
        std::strtoull(text.c_str(), nullptr, 10);
        return errno == ERANGE ? "seed \"" + text + "\" is larger than 2^64 - 1" : "";
      },
      "UINT64");
}

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"investigate", "Run the probes around an incident and write the verdict", define_investigate, always},
      {"batch", "Investigate every incident of a folder or manifest; check expectations; JUnit for CI", define_batch,
       [](const CLI::App& app) { return !app.get_option("--dry-run")->as<bool>(); }},
      {"diff", "What changed between two verdicts, or two batch outputs, of the same incidents", define_diff,
       [](const CLI::App& app) { return app.get_option("--rerun")->count() > 0; }},
      {"report", "Write a verdict, a diff or a batch output as a self-contained HTML page (and Markdown)",
       define_report},
      {"import", "Write an incident skeleton from an Inspect, OpenAI or Anthropic log", define_import},
      {"validate", "Check an incident file and print its summary", define_validate},
      {"tokenize", "Encode text or decode ids with a model's tokenizer", define_tokenize},
      {"model", "Inspect a model, score a continuation, sample from it, or patch activations", define_model,
       [](const CLI::App& app) {
         return subcommand_in(app, {"score", "sample", "patch"});
       }},
      {"organism", "Make, train, evaluate and capture model organisms with a planted motive", define_organism,
       [](const CLI::App& app) {
         return subcommand_in(app, {"train", "eval", "capture"});
       }},
      {"completions", "Print a shell completion script (bash, zsh, fish) or the man page (man)", define_completions},
  };
  return commands;
}

}  // namespace forensics::cli
