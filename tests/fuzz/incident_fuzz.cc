// An incident document: parsed, checked field by field, its edits applied (no model directory).
#include "forensics/incident/reader.h"
#include "forensics/util/json_document.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] {
    const auto document = forensics::util::parse_json_strict(fuzz_text(data, size), "incident.json");
    forensics::incident::check_incident(document, "/nonexistent/fuzz/incident.json", {});
  });
}
