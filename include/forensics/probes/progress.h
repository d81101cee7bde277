// probes: what a running investigation says as it goes. The probes report work done through a
// ProgressMeter (samples drawn, sequences scored, patched cells run) and each sampled
// condition's rate as it is measured; the meter passes it to a ProgressListener, which the
// command line draws (docs/cli.md, "Progress"). Without a listener nothing is reported.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "forensics/stats/proportions.h"

namespace forensics::probes {

/// Hears an investigation's progress, in pipeline order, from the thread that runs it.
class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  virtual void probe_skipped(std::string_view probe, std::string_view reason) = 0;
  /// `total_work`: what the probe will do, in work units (a sampled turn, a scored sequence or a
  /// patched cell each count 1); 0 when unknown until it runs.
  virtual void probe_started(std::string_view probe, std::int64_t total_work) = 0;
  /// The probe learned its total once running (patch: once the prompts are tokenized).
  virtual void total_known(std::int64_t total_work) = 0;
  /// Work done so far in the running probe.
  virtual void work_done(std::int64_t done) = 0;
  /// A sampled condition's rate: `condition` is its id in the probe's results.
  virtual void condition_measured(std::string_view condition, const stats::Rate& rate) = 0;
  /// `error` empty when the probe succeeded.
  virtual void probe_finished(std::string_view probe, std::int64_t samples, double wall_time_s,
                              std::string_view error) = 0;
};

/// The running probe's side: counts finished work and the part of the current step that is done,
/// and tells the listener (if any).
class ProgressMeter {
 public:
  explicit ProgressMeter(ProgressListener* listener) : listener_(listener) {}

  ProgressListener* listener() const { return listener_; }
  /// A new probe starts counting from 0.
  void restart() { finished_ = 0; }
  /// Sets the total when the probe learns it while running.
  void total_known(std::int64_t total_work) const {
    if (listener_ != nullptr) listener_->total_known(total_work);
  }
  /// `work` units of the current step are done (the step is not finished).
  void in_step(std::int64_t work) const {
    if (listener_ != nullptr) listener_->work_done(finished_ + work);
  }
  /// The current step finished with `work` units.
  void step_done(std::int64_t work) {
    finished_ += work;
    if (listener_ != nullptr) listener_->work_done(finished_);
  }
  void condition_measured(std::string_view condition, const stats::Rate& rate) const {
    if (listener_ != nullptr) listener_->condition_measured(condition, rate);
  }

 private:
  ProgressListener* listener_ = nullptr;
  std::int64_t finished_ = 0;
};

}  // namespace forensics::probes
