// cli (the light `forensics` binary): hand commands that run a model to forensics-torch, and the
// libtorch functions the command line names, which this binary never calls: main hands every
// command that needs them over first. Linking them here keeps libtorch out of this binary, whose
// start-up is then a few milliseconds instead of the half second libtorch's libraries take.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "forensics/organism/organism.h"
#include "forensics/runtime/model_service.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/error.h"
#include "torch_entry.h"

namespace forensics::cli {

bool needs_torch_binary() { return true; }

void hand_to_torch_binary(char** argv) {
  namespace fs = std::filesystem;
  const char* chosen = std::getenv("FORENSICS_TORCH_BINARY");
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path torch = chosen != nullptr ? fs::path(chosen) : self.parent_path() / "forensics-torch";
  ::execv(torch.c_str(), argv);
  throw ModelError("cannot run " + torch.string() + " (" + std::strerror(errno) +
                   "), which runs the commands that load a model; build it beside forensics "
                   "(cmake --build build --target forensics-torch) or set FORENSICS_TORCH_BINARY");
}

std::string version_text() { return ""; }  // forensics-torch answers --version

}  // namespace forensics::cli

namespace {

[[noreturn]] void unreachable(const char* what) {
  throw forensics::Error(std::string(what) + " needs libtorch: forensics should have handed it to forensics-torch");
}

}  // namespace

namespace forensics::runtime {
std::vector<TokenScore> score_text(const std::filesystem::path&, const std::string&, const std::string&,
                                   const DeviceChoice&) {
  unreachable("model score");
}
std::vector<SampledText> sample_text(const std::filesystem::path&, const std::string&, const TextSampling&,
                                     const DeviceChoice&) {
  unreachable("model sample");
}
TimedPatching patch_model(const std::filesystem::path&, const PatchingInput&, const DeviceChoice&) {
  unreachable("model patch");
}
std::shared_ptr<const OpenModel> open_local_model(const std::filesystem::path&, const DeviceChoice&) {
  unreachable("opening a model");
}
TorchInfo torch_info() { unreachable("libtorch's version"); }
std::string describe(const TorchInfo&) { unreachable("libtorch's version"); }
void set_compute_threads(int) { unreachable("libtorch's threads"); }
int compute_threads() { unreachable("libtorch's threads"); }
}  // namespace forensics::runtime

namespace forensics::organism {
TrainReport train_organism(const Recipe&, const TrainOptions&) { unreachable("organism train"); }
EvalReport evaluate_organism(const std::filesystem::path&, const EvalOptions&) { unreachable("organism eval"); }
CaptureReport capture_incident(const std::filesystem::path&, const CaptureOptions&) { unreachable("organism capture"); }
}  // namespace forensics::organism
