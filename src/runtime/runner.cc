// runtime: the torch-free helpers of the runner vocabulary (sampling.h, runner.h).
#include "forensics/runtime/runner.h"

#include "forensics/util/error.h"

namespace forensics::runtime {

std::optional<Dtype> parse_dtype_choice(std::string_view text, std::string_view option) {
  if (text == "auto") return std::nullopt;
  if (const auto dtype = kDtypeNames.parse(text)) return dtype;
  throw InputError(std::string(option) + ": expected \"auto\", " + kDtypeNames.choices() + ", got \"" +
                   std::string(text) + "\"");
}

void check_device_spelling(const std::string& device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return;
  const std::string prefix = "cuda:";
  const bool numbered = device.rfind(prefix, 0) == 0 && device.size() > prefix.size() &&
                        device.size() <= prefix.size() + 3 &&
                        device.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
  if (!numbered) throw InputError("--device: expected auto, cpu, cuda or cuda:N, got \"" + device + "\"");
}

}  // namespace forensics::runtime
