// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so the test
// suite (g++, ASan + UBSan) runs every kept crasher and the fixtures that seed the fuzzers.
// usage: replay_<target> FILE_OR_FOLDER...  (missing paths are skipped: a target may have no crashers)
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file, std::size_t& count) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  ++count;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      for (const auto& file : files) replay(file, count);
    } else if (std::filesystem::is_regular_file(path, ec)) {
      replay(path, count);
    }
  }
  std::printf("replayed %zu input(s) without a crash\n", count);
  return 0;
}
