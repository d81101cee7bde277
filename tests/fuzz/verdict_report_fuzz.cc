// A verdict given to `forensics report`: every page section and both renderings.
#include "forensics/report/page.h"
#include "forensics/report/report_pages.h"
#include "forensics/util/json_document.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] {
    const auto page =
        forensics::report::verdict_page(forensics::util::parse_json_strict(fuzz_text(data, size), "v.json"));
    forensics::report::render_html(page);
    forensics::report::render_markdown(page, "figures");
  });
}
