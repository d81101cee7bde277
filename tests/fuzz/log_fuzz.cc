// An agent log in any of the formats import reads (sniffed as import sniffs it).
#include <unistd.h>

#include <fstream>
#include <string>

#include "forensics/import/imported_log.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The readers take a path (a .eval is a ZIP read through libzip): one file per process, rewritten.
  static const std::string path = "/tmp/forensics-fuzz-log-" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
  return fuzz_one([&] { forensics::import::read_log(path); });
}
