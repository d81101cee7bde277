#include "forensics/runtime/model_directory.h"

#include <algorithm>
#include <fstream>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/error.h"
#include "forensics/util/sha256.h"

namespace forensics::runtime {
namespace fs = std::filesystem;

std::string hash_checkpoint(const fs::path& directory, std::size_t* bytes) {
  std::vector<std::string> files;
  const Checkpoint checkpoint = Checkpoint::open(directory);
  for (const auto& [name, view] : checkpoint.tensors()) files.push_back(view.file);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  util::Sha256 hash;
  std::vector<char> buffer(1 << 20);
  std::size_t total = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      hash.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
      total += static_cast<std::size_t>(in.gcount());
    }
  }
  if (bytes != nullptr) *bytes = total;
  return hash.hex_digest();
}

ModelDirectoryCheck check_model_directory(const fs::path& directory,
                                          const std::optional<std::string>& expected_sha256) {
  ModelDirectoryCheck check;
  auto attempt = [&](auto&& step) {
    try {
      step();
    } catch (const Error& e) {
      check.errors.emplace_back(e.what());
    }
  };
  attempt([&] { load_model_config(directory); });
  attempt([&] {
    if (expected_sha256) {
      std::size_t bytes = 0;
      check.weights_sha256 = hash_checkpoint(directory, &bytes);
      if (check.weights_sha256 != *expected_sha256) {
        check.errors.push_back(directory.string() + ": the weights hash to " + check.weights_sha256 +
                               ", not the expected " + *expected_sha256 + " (a different model?)");
      }
    } else {
      Checkpoint::open(directory);  // validates every header without reading the weights
    }
  });
  attempt([&] { check.tokenizer_fingerprint = Tokenizer::from_path(directory).fingerprint(); });
  return check;
}

}  // namespace forensics::runtime
