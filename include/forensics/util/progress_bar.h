// util: a one-line progress bar on stderr: redrawn in place on a terminal (bar, done/total,
// detail, time left), and off a terminal either silent or printed at every tenth of the work
// (CI logs). organism train/eval and investigate draw their progress with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace forensics::util {

/// Whether stderr is a terminal (progress is redrawn in place only there).
bool stderr_is_terminal();

class ProgressBar {
 public:
  enum class OffTerminal { kSilent, kEveryTenth };

  /// `total` 0: unknown until set_total (no bar, no estimate). Disabled bars print nothing.
  ProgressBar(std::string label, std::int64_t total, bool enabled, OffTerminal off_terminal = OffTerminal::kEveryTenth);

  void set_total(std::int64_t total) { total_ = total; }
  /// Redraws on a terminal at most ten times a second (always when done reaches the total).
  void update(std::int64_t done, std::string_view detail = {});
  /// Erases the bar on a terminal, so that another line can be printed; the next update redraws.
  void clear();
  /// `label done: detail in 4.2 s`, on its own line, terminal or not.
  void finish(std::string_view detail);

 private:
  double elapsed_seconds() const;

  std::string label_;
  std::int64_t total_;
  bool enabled_;
  OffTerminal off_terminal_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  double last_drawn_s_ = -1;
  std::int64_t last_reported_tenth_ = -1;
};

}  // namespace forensics::util
