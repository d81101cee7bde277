#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"

namespace fs = std::filesystem;
using forensics::util::check_output_path;
using forensics::util::write_file_atomically;

namespace {

fs::path fresh_folder() {
  const fs::path folder = fs::temp_directory_path() / ("forensics-atomic-" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("an output that is not a regular file is refused, never replaced", "[util]") {
  const fs::path folder = fresh_folder();
  const fs::path fifo = folder / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(write_file_atomically(fifo, "x"), Catch::Contains("not a regular file"));
  CHECK(fs::is_fifo(fifo));
  CHECK_THROWS_WITH(check_output_path(folder), Catch::Contains("a directory"));
  CHECK_THROWS_WITH(check_output_path(folder / "missing" / "v.json"), Catch::Contains("does not exist"));
  fs::remove_all(folder);
}

TEST_CASE("writing through a symlink replaces its target and keeps the link", "[util]") {
  const fs::path folder = fresh_folder();
  fs::create_symlink("target.json", folder / "link.json");
  write_file_atomically(folder / "link.json", "new");
  CHECK(fs::is_symlink(fs::symlink_status(folder / "link.json")));
  CHECK(read(folder / "target.json") == "new");
  fs::remove_all(folder);
}
