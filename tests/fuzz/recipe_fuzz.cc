// An organism recipe with an inline environment.
#include "forensics/organism/recipe.h"
#include "forensics/util/json_document.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] {
    const auto document = forensics::util::parse_json_strict(fuzz_text(data, size), "recipe.json");
    const auto environment =
        document.is_object() && document.contains("environment") ? document["environment"] : forensics::Json::object();
    forensics::organism::parse_recipe(document, environment, "recipe.json");
  });
}
