// Shared helpers of the organism commands: scenario encoding, progress, the tokenizer plan.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "forensics/runtime/model_service.h"
#include "organism_internal.h"

namespace forensics::organism {

TokenizerPlan tokenizer_plan(const Environment& environment) {
  const auto& markers = incident::chat_markers(environment.format);
  TokenizerPlan plan;
  // Padding first so that id 0 is never a token the model must predict.
  plan.special.push_back("<|endoftext|>");
  for (const auto& token : markers.special_tokens) plan.special.emplace_back(token);
  for (const auto& token : markers.markup_tokens) plan.markup.emplace_back(token);
  return plan;
}

namespace detail {

LoadedOrganism load_organism(const std::filesystem::path& directory, const std::string& device) {
  Recipe recipe = read_organism_recipe(directory);
  runtime::DeviceChoice choice;
  choice.device = device;
  runtime::Model model = runtime::Model::load(directory, runtime::load_options(choice));
  return {std::move(recipe), std::move(model), runtime::Tokenizer::from_path(directory)};
}

EncodedScenario encode_scenario(const Recipe& recipe, const Scenario& scenario, const runtime::Tokenizer& tokenizer) {
  const std::size_t decision = recipe.environment.decision_message();
  const auto prompt = incident::render_prompt(scenario.transcript, decision, recipe.environment.format);
  const auto turn = incident::render_turn(scenario.transcript, decision, recipe.environment.format);
  return {tokenizer.model_ids(prompt.text), tokenizer.model_ids(turn.text)};
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_duration(double seconds) {
  char buffer[64];
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  } else {
    const auto whole = static_cast<long>(std::lround(seconds));
    std::snprintf(buffer, sizeof buffer, "%ld min %02ld s", whole / 60, whole % 60);
  }
  return buffer;
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 1)),
      enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(monotonic_seconds()) {}

void ProgressBar::update(std::int64_t done, const std::string& detail) {
  if (!enabled_) return;
  const std::int64_t tenth = done * 10 / total_;
  if (!terminal_ && tenth == last_reported_tenth_) return;
  last_reported_tenth_ = tenth;
  const double elapsed = monotonic_seconds() - start_;
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * done / total_);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::cerr << (terminal_ ? "\r" : "") << label_ << " [" << bar << "] " << done << "/" << total_ << "  " << detail
            << "  ETA " << format_duration(eta) << (terminal_ ? "   " : "\n") << std::flush;
}

void ProgressBar::finish(const std::string& detail) {
  if (!enabled_) return;
  std::cerr << (terminal_ ? "\r" : "") << label_ << " done: " << detail << " in "
            << format_duration(monotonic_seconds() - start_) << (terminal_ ? "          \n" : "\n") << std::flush;
}

}  // namespace detail
}  // namespace forensics::organism
