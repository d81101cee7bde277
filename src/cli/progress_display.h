// cli: an investigation's progress on stderr (docs/cli.md, "Progress"). On a terminal each probe
// has a bar redrawn in place with its work done and the time left; elsewhere one line per probe
// when it ends. -v adds each sampled condition's rate as it is measured; -q shows nothing.
#pragma once

#include <memory>

#include "forensics/probes/progress.h"

namespace forensics::cli {

/// The listener for the verbosity logging was configured with, or null under -q.
std::unique_ptr<probes::ProgressListener> progress_display();

}  // namespace forensics::cli
