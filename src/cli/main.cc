// The `forensics` command line: global flags, the subcommand table, help and "did you mean", and
// the one place where errors become messages and exit codes. Built twice: `forensics` without
// libtorch, which starts in milliseconds and hands every command that runs a model to
// `forensics-torch` (the same command line with libtorch linked) by exec (docs/cli.md).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "forensics/util/error.h"
#include "forensics/util/logging.h"
#include "forensics/util/text.h"
#include "forensics/util/version.h"
#include "torch_entry.h"

namespace {

using namespace forensics;

constexpr const char* kDescription =
    "forensics: find out why an AI agent took a concerning action.\n"
    "Re-runs the model around a captured incident under controlled edits and writes a verdict:\n"
    "confused, intentional or inconclusive. `forensics help COMMAND` for a command's options.";

std::vector<std::string> command_names() {
  std::vector<std::string> out = {"help"};
  for (const auto& command : cli::command_table()) out.emplace_back(command.name);
  return out;
}

/// The subcommand `argv` names before any parsing, so a typo gets a suggestion, not CLI11's
/// "arguments were not expected".
std::optional<int> check_command_name(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return std::nullopt;
  const std::string name = argv[1];
  const auto names = command_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return std::nullopt;
  std::cerr << "forensics: unknown command \"" << name << "\"";
  if (const auto suggestion = util::closest_match(name, names))
    std::cerr << "; did you mean \"" << *suggestion << "\"?";
  std::cerr << "\nforensics: `forensics help` lists the commands\n";
  return cli::kExitUsage;
}

/// The deepest subcommand `app` parsed, e.g. `model score`.
CLI::App* parsed_leaf(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands()) return parsed_leaf(sub);
  return app;
}

/// CLI11's message for an unknown option, with the closest option of that command.
void explain_parse_error(CLI::App& app, const CLI::ParseError& error) {
  std::string message = error.what();
  const CLI::App* leaf = parsed_leaf(&app);
  const auto dash = message.find("--");
  if (dash != std::string::npos) {
    std::string word = message.substr(dash);
    word = word.substr(0, word.find_first_of(" =:\n"));
    std::vector<std::string> names;
    for (const CLI::Option* option : leaf->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    }
    // A known option with a bad value needs no suggestion: only a misspelt name does.
    const bool known = std::find(names.begin(), names.end(), word) != names.end();
    const auto suggestion = known ? std::nullopt : util::closest_match(word, names);
    if (suggestion) message += "; did you mean " + *suggestion + "?";
  }
  std::cerr << "forensics: " << message << "\nforensics: `forensics help " << leaf->get_name()
            << "` lists its options\n";
}

/// `forensics help [COMMAND [SUBCOMMAND]]`: the help of what it names, on stdout.
int run_help(CLI::App& app, int argc, char** argv) {
  CLI::App* target = &app;
  for (int i = 2; i < argc; ++i) {
    CLI::App* sub = nullptr;
    try {
      sub = target->get_subcommand(argv[i]);
    } catch (const CLI::OptionNotFound&) {}
    if (sub == nullptr) {
      std::vector<std::string> names;
      for (const CLI::App* candidate : target->get_subcommands({})) names.push_back(candidate->get_name());
      std::cerr << "forensics: help: no command \"" << argv[i] << "\"";
      if (const auto suggestion = util::closest_match(argv[i], names))
        std::cerr << "; did you mean \"" << *suggestion << "\"?";
      std::cerr << "\n";
      return cli::kExitUsage;
    }
    target = sub;
  }
  std::cout << target->help();
  return cli::kExitOk;
}

int run(int argc, char** argv) {
  CLI::App app{kDescription, "forensics"};
  app.set_version_flag(
      "--version", [] { return cli::version_text(); }, "Print the tool and libtorch versions and exit");
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More on stderr: debug logs and each condition's rate as it is measured");
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr (no progress, summary or warnings)");
  app.require_subcommand(0, 1);
  app.fallthrough();  // -v and -q also work after the command: `forensics investigate x.json -q`

  cli::Action action;
  std::vector<std::pair<CLI::App*, const cli::Command*>> subcommands;
  for (const auto& command : cli::command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    command.define(*sub, action);
    subcommands.emplace_back(sub, &command);
  }
  if (const auto code = check_command_name(argc, argv)) return *code;
  if (argc >= 2 && std::string(argv[1]) == "help") return run_help(app, argc, argv);
  if (argc < 2) {
    std::cerr << app.help();
    return cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    if (cli::needs_torch_binary()) cli::hand_to_torch_binary(argv);
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    explain_parse_error(app, e);
    return cli::kExitUsage;
  }
  for (const auto& [sub, command] : subcommands) {
    if (sub->parsed() && command->needs_torch && command->needs_torch(*sub) && cli::needs_torch_binary()) {
      cli::hand_to_torch_binary(argv);
    }
  }
  util::configure_logging(quiet     ? util::Verbosity::kQuiet
                          : verbose ? util::Verbosity::kVerbose
                                    : util::Verbosity::kNormal);
  if (!action) {
    std::cerr << app.help();
    return cli::kExitUsage;
  }
  return action();
}

}  // namespace

int main(int argc, char** argv) {
  // Only here do errors become exit codes; the library throws typed errors (docs/cli.md).
  try {
    return run(argc, argv);
  } catch (const forensics::InputError& e) {
    std::cerr << "forensics: error: " << e.what() << "\n";
    return forensics::cli::kExitBadInput;
  } catch (const forensics::ModelError& e) {
    std::cerr << "forensics: model error: " << e.what() << "\n";
    return forensics::cli::kExitModelFailure;
  } catch (const std::exception& e) {
    std::cerr << "forensics: internal error: " << e.what() << "\n"
              << "forensics: please report this with the command that caused it\n";
    return forensics::cli::kExitModelFailure;
  }
}
