// A safetensors file: header length, JSON header, offsets, shapes, dtypes; then the weight scan.
#include "forensics/runtime/safetensors.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] { forensics::runtime::SafetensorsFile::parse(fuzz_text(data, size), "model.safetensors"); });
}
