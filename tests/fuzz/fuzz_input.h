// Shared by the fuzz targets: the input as text, and the rule every target enforces — a hostile
// input may be refused with forensics::Error (InputError, ModelError: exit 3 or 4), nothing else.
// Any other exception escaping (a nlohmann type_error, std::out_of_range) is a bug libFuzzer reports
// as a crash, as it does out-of-bounds reads, overflows and leaks under the sanitizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "forensics/util/error.h"

inline std::string_view fuzz_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Runs `read` on the input; a forensics::Error is the expected refusal of bad input.
template <class Read>
int fuzz_one(Read&& read) {
  try {
    read();
  } catch (const forensics::Error&) {}
  return 0;
}
