#include "progress_display.h"

#include <cstdio>
#include <optional>
#include <string>

#include "forensics/util/logging.h"
#include "forensics/util/progress_bar.h"

namespace forensics::cli {
namespace {

std::string rate_text(const stats::Rate& rate) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%lld/%lld = %.1f%% [%.1f, %.1f]", static_cast<long long>(rate.k),
                static_cast<long long>(rate.n), 100 * rate.estimate, 100 * rate.ci.low, 100 * rate.ci.high);
  return buffer;
}

class ProgressDisplay final : public probes::ProgressListener {
 public:
  explicit ProgressDisplay(bool verbose) : verbose_(verbose) {}

  void probe_skipped(std::string_view probe, std::string_view reason) override {
    util::log_info("investigate: " + std::string(probe) + ": skipped, " + std::string(reason));
  }

  void probe_started(std::string_view probe, std::int64_t total_work) override {
    probe_ = std::string(probe);
    done_ = 0;
    bar_.emplace("forensics: investigate: " + probe_, total_work, true, util::ProgressBar::OffTerminal::kSilent);
    bar_->update(0, "starting");
  }

  void total_known(std::int64_t total_work) override {
    if (bar_) bar_->set_total(total_work);
  }

  void work_done(std::int64_t done) override {
    done_ = done;
    if (bar_) bar_->update(done);
  }

  void condition_measured(std::string_view condition, const stats::Rate& rate) override {
    if (!verbose_) return;
    if (bar_) bar_->clear();
    util::log_info("investigate: " + probe_ + ": " + std::string(condition) + " " + rate_text(rate));
  }

  void probe_finished(std::string_view /*probe*/, std::int64_t samples, double /*wall_time_s*/,
                      std::string_view error) override {
    if (!bar_) return;
    if (error.empty()) {
      // Scoring and patching probes draw no samples: their work is forward passes.
      bar_->finish(samples > 0 ? std::to_string(samples) + " samples" : std::to_string(done_) + " model runs");
    } else {
      bar_->clear();  // the error is logged next
    }
    bar_.reset();
  }

 private:
  bool verbose_;
  std::string probe_;
  std::int64_t done_ = 0;
  std::optional<util::ProgressBar> bar_;
};

}  // namespace

std::unique_ptr<probes::ProgressListener> progress_display() {
  const auto verbosity = util::verbosity();
  if (verbosity == util::Verbosity::kQuiet) return nullptr;
  return std::make_unique<ProgressDisplay>(verbosity == util::Verbosity::kVerbose);
}

}  // namespace forensics::cli
