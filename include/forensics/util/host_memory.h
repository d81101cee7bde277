// util: how much memory this machine can still give, and byte counts as people read them.
#pragma once

#include <optional>
#include <string>

namespace forensics::util {

/// Bytes of memory this machine can still give (MemAvailable), or nothing when unknown.
std::optional<double> available_host_memory();

/// `812.0 MiB`, `15.0 GiB`.
std::string memory_text(double bytes);

}  // namespace forensics::util
