#include "forensics/util/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "forensics/util/text.h"

namespace forensics::util {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) != 0; }

ProgressBar::ProgressBar(std::string label, std::int64_t total, bool enabled, OffTerminal off_terminal)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      off_terminal_(off_terminal),
      terminal_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(std::int64_t done, std::string_view detail) {
  if (!enabled_) return;
  const double elapsed = elapsed_seconds();
  const bool complete = total_ > 0 && done >= total_;
  if (terminal_) {
    if (!complete && last_drawn_s_ >= 0 && elapsed - last_drawn_s_ < 0.1) return;  // no flicker, little cost
    last_drawn_s_ = elapsed;
  } else {
    if (off_terminal_ == OffTerminal::kSilent || total_ <= 0) return;
    const std::int64_t tenth = std::min<std::int64_t>(done, total_) * 10 / total_;
    if (tenth == last_reported_tenth_) return;
    last_reported_tenth_ = tenth;
  }
  std::string line = label_;
  if (total_ > 0) {
    constexpr std::int64_t kWidth = 24;
    const std::int64_t filled = kWidth * std::min(done, total_) / total_;
    line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " + std::to_string(done) + "/" +
            std::to_string(total_);
  } else {
    line += " " + std::to_string(done);
  }
  if (!detail.empty()) line += "  " + std::string(detail);
  if (total_ > 0 && done > 0 && !complete) {
    line +=
        "  about " + duration_text(elapsed * static_cast<double>(total_ - done) / static_cast<double>(done)) + " left";
  }
  std::cerr << (terminal_ ? "\r\033[K" : "") << line << (terminal_ ? "" : "\n") << std::flush;
}

void ProgressBar::clear() {
  if (!enabled_ || !terminal_ || last_drawn_s_ < 0) return;
  std::cerr << "\r\033[K" << std::flush;
  last_drawn_s_ = -1;
}

void ProgressBar::finish(std::string_view detail) {
  if (!enabled_) return;
  std::cerr << (terminal_ ? "\r\033[K" : "") << label_ << " done: " << detail << " in "
            << duration_text(elapsed_seconds()) << "\n"
            << std::flush;
}

}  // namespace forensics::util
