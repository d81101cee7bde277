// A model's config.json.
#include "forensics/runtime/model_config.h"
#include "forensics/util/json_document.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] {
    forensics::runtime::parse_model_config(forensics::util::parse_json_strict(fuzz_text(data, size), "config.json"),
                                           "config.json");
  });
}
