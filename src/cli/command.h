// cli: the table of subcommands. Each subcommand is one file that fills in a Command; main.cc
// only parses, dispatches and maps errors to exit codes (docs/cli.md).
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace forensics::cli {

/// Exit codes, one meaning each, shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitDifference = 1,    // diff found a change, batch an unmet expectation
  kExitUsage = 2,         // bad command line
  kExitBadInput = 3,      // an input file is invalid
  kExitModelFailure = 4,  // the model or the runtime failed
  kExitIncomplete = 5,    // investigate wrote a verdict, but a probe failed (failed_probes says which)
};

/// What a parsed subcommand will do; returns the exit code. Errors are thrown, not returned.
using Action = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;
  /// Declares the subcommand's options on `app` and sets `action` to run when it is chosen.
  std::function<void(CLI::App& app, Action& action)> define;
  /// Whether the parsed invocation runs a model (libtorch): the light `forensics` then hands it to
  /// `forensics-torch` (torch_entry.h). Null: never.
  std::function<bool(const CLI::App& parsed)> needs_torch = nullptr;
};

/// Every subcommand, in the order `--help` lists them. A subcommand is registered only once it
/// works.
const std::vector<Command>& command_table();

/// CLI::Range lets NaN through (every comparison with NaN is false): a number option must also be finite.
CLI::Validator finite_number();
/// A seed: an unsigned decimal integer below 2^64 (CLI11 alone would wrap "-1" and clamp larger values).
CLI::Validator seed_value();

void define_validate(CLI::App& app, Action& action);
void define_import(CLI::App& app, Action& action);
void define_tokenize(CLI::App& app, Action& action);
void define_model(CLI::App& app, Action& action);
void define_organism(CLI::App& app, Action& action);
void define_investigate(CLI::App& app, Action& action);
void define_batch(CLI::App& app, Action& action);
void define_diff(CLI::App& app, Action& action);
void define_report(CLI::App& app, Action& action);
void define_completions(CLI::App& app, Action& action);

}  // namespace forensics::cli
