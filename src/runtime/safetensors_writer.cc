// Writing safetensors checkpoints (docs/formats.md, "safetensors"), for the models the project trains.
#include <algorithm>

#include "forensics/runtime/safetensors.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::runtime {

void write_safetensors(const std::filesystem::path& path, std::vector<TensorToWrite> tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorToWrite& a, const TensorToWrite& b) { return a.name < b.name; });
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = meta;
  }
  std::size_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& tensor = tensors[i];
    if (i > 0 && tensors[i - 1].name == tensor.name) {
      throw ModelError(path.string() + ": tensor " + tensor.name + " given twice");
    }
    std::size_t elements = 1;
    for (const auto dim : tensor.shape) {
      if (dim < 0) throw ModelError(path.string() + ": tensor " + tensor.name + " has a negative dimension");
      elements *= static_cast<std::size_t>(dim);
    }
    if (elements * dtype_size(tensor.dtype) != tensor.size || (tensor.size > 0 && tensor.data == nullptr)) {
      throw ModelError(path.string() + ": tensor " + tensor.name + " has " + std::to_string(tensor.size) +
                       " bytes, its shape and dtype need " + std::to_string(elements * dtype_size(tensor.dtype)));
    }
    header[tensor.name] = {{"dtype", std::string(kDTypeNames.name(tensor.dtype))},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.size}}};
    offset += tensor.size;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string length(8, '\0');
  const std::uint64_t n = header_text.size();
  for (int b = 0; b < 8; ++b) length[static_cast<std::size_t>(b)] = static_cast<char>((n >> (8 * b)) & 0xFF);
  std::vector<std::string_view> parts{length, header_text};
  for (const auto& tensor : tensors) {
    parts.emplace_back(static_cast<const char*>(tensor.data), tensor.size);
  }
  util::write_file_atomically(path, parts);
}

}  // namespace forensics::runtime
