// `forensics import LOG --model DIR ...`: an incident skeleton from an agent log (docs/import.md).
#include <filesystem>
#include <iostream>

#include "command.h"
#include "forensics/import/imported_log.h"
#include "forensics/import/skeleton.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/logging.h"
#include "forensics/util/text.h"

namespace forensics::cli {
namespace {

struct ImportOptions {
  std::string log;
  std::string model;
  std::string from;  // empty: detected
  std::string sample;
  int epoch = 0;  // 0: any
  std::optional<std::size_t> message;
  std::optional<std::size_t> tool_call;
  std::string matcher;
  std::string output = "-";
  bool list = false;
  bool force = false;
};

import::LogSelection selection_of(const ImportOptions& options){import::LogSelection selection;
if (!options.sample.empty()) selection.sample = options.sample;
if (options.epoch > 0) selection.epoch = options.epoch;
return selection;
}  // namespace

std::string one_line(const std::string& text) {
  std::string out = util::abbreviate(text, 70);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

void print_listing(const import::ImportedLog& log) {
  std::cout << log.source.string() << " (" << import::kLogFormatNames.name(log.format)
            << "): " << log.samples.size() + log.unreadable.size() << " conversation(s)\n";
  for (const auto& sample : log.samples) {
    std::cout << "\nsample " << sample.id << ", epoch " << sample.epoch << ": " << sample.transcript.messages.size()
              << " messages" << (sample.model ? ", model " + *sample.model : "") << "\n";
    for (std::size_t i = 0; i < sample.transcript.messages.size(); ++i) {
      const auto& message = sample.transcript.messages[i];
      std::cout << "  [" << i << "] " << incident::kRoleNames.name(message.role) << ": " << one_line(message.content)
                << "\n";
      if (message.reasoning) std::cout << "      reasoning: " << one_line(*message.reasoning) << "\n";
      for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
        const auto& call = message.tool_calls[c];
        std::cout << "      tool call " << c << ": " << call.name << " " << one_line(call.arguments.dump()) << "\n";
      }
    }
  }
  for (const auto& problem : log.unreadable) std::cout << "\ncannot be imported: " << problem << "\n";
}

const import::ImportedSample& the_sample(const import::ImportedLog& log) {
  if (log.samples.size() == 1) return log.samples.front();
  std::string held;
  for (const auto& sample : log.samples) {
    held += (held.empty() ? "" : ", ") + sample.id + " (epoch " + std::to_string(sample.epoch) + ")";
  }
  throw InputError(log.source.string() + " holds " + std::to_string(log.samples.size()) +
                   " conversations: choose one with --sample ID and --epoch N (" + held + ")");
}

int run_import(const ImportOptions& options) {
  std::optional<import::LogFormat> format;
  if (!options.from.empty()) format = import::kLogFormatNames.parse(options.from);
  import::LogSelection selection = selection_of(options);
  selection.skip_unreadable = options.list;
  const auto log = import::read_log(options.log, format, selection);
  if (options.list) {
    print_listing(log);
    return kExitOk;
  }
  if (options.model.empty()) throw InputError("--model DIR is required (the model whose weights the log's model ran)");
  const bool to_stdout = options.output == "-";
  if (!to_stdout && !options.force && std::filesystem::exists(options.output)) {
    throw InputError(options.output + " exists; it may hold hypotheses you wrote: choose another -o, or --force");
  }
  import::SkeletonRequest request;
  request.log = options.log;
  request.model_directory = options.model;
  request.output =
      to_stdout ? std::filesystem::current_path() / "incident.json" : std::filesystem::path(options.output);
  request.action = {options.message, options.tool_call,
                    options.matcher.empty() ? std::nullopt : std::optional<std::string>(options.matcher)};
  const auto skeleton = import::incident_skeleton(the_sample(log), request);
  const std::string text = skeleton.incident.dump(2) + "\n";
  if (to_stdout) {
    std::cout << text;
  } else {
    util::write_file_atomically(options.output, text);
  }
  for (const auto& note : skeleton.notes) util::log_info("note: " + note);
  const std::string name = to_stdout ? "the incident" : options.output;
  util::log_info("wrote " + name +
                 "; next: replace the two \"fill_in\" placeholders (hypotheses, interventions), then "
                 "forensics validate " +
                 (to_stdout ? std::string("FILE") : options.output));
  return kExitOk;
}

}  // namespace forensics::cli

void define_import(CLI::App& app, Action& action) {
  auto options = std::make_shared<ImportOptions>();
  app.add_option("log", options->log, "An Inspect log (.eval, .json), an OpenAI or an Anthropic message log")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--model", options->model, "The model directory the incident will run (its weights are hashed)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--from", options->from, "The log's format when detection is not wanted")
      ->check(CLI::IsMember({"inspect", "openai", "anthropic"}));
  app.add_option("--sample", options->sample, "The Inspect sample id (--list shows them)");
  app.add_option("--epoch", options->epoch, "The Inspect epoch")->check(CLI::PositiveNumber);
  app.add_option("--message", options->message, "Index of the assistant message holding the action");
  app.add_option("--tool-call", options->tool_call, "Index of the action's tool call in that message");
  app.add_option("--matcher", options->matcher,
                 "A regex that finds the action (first matching assistant turn) and recognises it in samples");
  app.add_option("-o,--output", options->output, "Where to write the incident (- for stdout)");
  app.add_flag("--list", options->list, "List the log's conversations, messages and tool calls, and stop");
  app.add_flag("--force", options->force, "Overwrite the output file");
  app.callback([options, &action] { action = [options] { return run_import(*options); }; });
}

}  // namespace forensics::cli
