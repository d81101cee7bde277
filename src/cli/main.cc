// The `forensics` command line: global flags, the subcommand table, and the one place where
// errors become messages and exit codes.
#include <iostream>

#include "command.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/error.h"
#include "forensics/util/logging.h"
#include "forensics/util/version.h"

namespace {

using namespace forensics;

std::string version_text() {
  return std::string("forensics ") + kToolVersion + "\n" + runtime::describe(runtime::torch_info());
}

int run(int argc, char** argv) {
  CLI::App app{
      "forensics: find out why an AI agent took a concerning action.\n"
      "Re-runs the model around a captured incident under controlled edits and writes "
      "a verdict: confused, intentional or inconclusive.",
      "forensics"};
  app.set_version_flag("--version", version_text, "Print the tool and libtorch versions and exit");
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details to stderr");
  app.add_flag("-q,--quiet", quiet, "Log only errors to stderr");
  app.require_subcommand(1);

  cli::Action action;
  for (const auto& command : cli::command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    command.define(*sub, action);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitUsage;
  }
  util::configure_logging(quiet     ? util::Verbosity::kQuiet
                          : verbose ? util::Verbosity::kVerbose
                                    : util::Verbosity::kNormal);
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
