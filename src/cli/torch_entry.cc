// cli (forensics-torch): libtorch is linked in, so every command runs here.
#include "torch_entry.h"

#include "forensics/runtime/torch_info.h"
#include "forensics/util/error.h"
#include "forensics/util/version.h"

namespace forensics::cli {

bool needs_torch_binary() { return false; }

void hand_to_torch_binary(char**) { throw Error("forensics-torch has libtorch: nothing to hand over"); }

std::string version_text() {
  return std::string("forensics ") + kToolVersion + "\n" + runtime::describe(runtime::torch_info());
}

}  // namespace forensics::cli
