// import: transcripts read out of the logs agent tools write (docs/import.md): Inspect eval logs
// (`.eval` ZIP and `.json`), OpenAI chat-completions message lists and Anthropic Messages. Each
// becomes the incident format's Transcript, with notes on everything the conversion had to decide.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/transcript.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"

namespace forensics::import {

enum class LogFormat { kInspect, kOpenai, kAnthropic };
inline constexpr util::NameTable kLogFormatNames{std::array{
    util::NameEntry<LogFormat>{LogFormat::kInspect, "inspect"},
    util::NameEntry<LogFormat>{LogFormat::kOpenai, "openai"},
    util::NameEntry<LogFormat>{LogFormat::kAnthropic, "anthropic"},
}};

/// One conversation of a log: an Inspect sample in one epoch, or the whole of a message list.
struct ImportedSample {
  std::string id;  // Inspect's sample id as text; "1" for a message list
  int epoch = 1;
  std::string origin;  // where it was read, e.g. "run.eval: samples/2_epoch_1.json"
  incident::Transcript transcript;
  std::optional<std::string> model;  // the model the log names, when it does
  std::vector<std::string> notes;    // what the conversion decided or dropped, for the user
};

struct LogSelection {
  std::optional<std::string> sample;  // absent: every sample (or the only one)
  std::optional<int> epoch;           // absent: every epoch
  // Listing a log: a conversation that cannot be imported is reported in ImportedLog::unreadable
  // instead of stopping the whole read.
  bool skip_unreadable = false;
};

struct ImportedLog {
  LogFormat format = LogFormat::kInspect;
  std::filesystem::path source;
  std::vector<ImportedSample> samples;  // those the selection asked for, in the log's order
  std::vector<std::string> unreadable;  // with skip_unreadable: why each other conversation cannot be imported
};

/// Reads `path`, detecting the format from the file when `format` is absent. Throws InputError
/// naming the file, the ZIP member and the JSON path of what is wrong; a selection that matches
/// nothing is an error listing what the log holds.
ImportedLog read_log(const std::filesystem::path& path, std::optional<LogFormat> format = std::nullopt,
                     const LogSelection& selection = {});

/// Largest log file read whole (a `.eval` is read member by member instead).
inline constexpr std::size_t kMaxLogBytes = 2ull << 30;

}  // namespace forensics::import
