// cli: how the command line reaches libtorch. `forensics` is built without it and hands a command
// that runs a model to `forensics-torch`, the same command line linked with libtorch, by exec;
// `forensics-torch` runs everything itself.
#pragma once

#include <string>

namespace forensics::cli {

/// True in the light binary: commands that run a model must be handed over.
bool needs_torch_binary();

/// Replaces this process with forensics-torch (beside this binary, or $FORENSICS_TORCH_BINARY)
/// on the same command line. Returns only by throwing ModelError when it cannot be started.
[[noreturn]] void hand_to_torch_binary(char** argv);

/// `forensics VERSION` and the libtorch line.
std::string version_text();

}  // namespace forensics::cli
