// The safetensors reader on well-formed and hostile bytes: every malformation is an error
// naming the problem, never an out-of-bounds read (this binary also runs under ASan).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tensor_layout.h"
#include "forensics/util/error.h"
#include "forensics/util/sha256.h"
#include "test_paths.h"

using Catch::Matchers::Contains;
using forensics::ModelError;
using forensics::runtime::DType;
using forensics::runtime::load_model_config;
using forensics::runtime::SafetensorsFile;

namespace {

// A safetensors file: 8-byte little-endian header length, header, data.
std::string file_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string float_bytes(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}

const std::string kGoodHeader =
    R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
    R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})";

std::string good_file() { return file_bytes(kGoodHeader, float_bytes({1, 2, 3, 4})); }

std::string parse_error(const std::string& bytes) {
  try {
    SafetensorsFile::parse(bytes, "m.safetensors");
  } catch (const ModelError& e) {
    return e.what();
  }
  FAIL("expected a ModelError");
  return "";
}

}  // namespace

TEST_CASE("a well-formed file exposes its tensors and metadata", "[safetensors]") {
  const std::string bytes = good_file();
  const auto file = SafetensorsFile::parse(bytes, "m.safetensors");
  REQUIRE(file->tensors().size() == 2);
  const auto& a = file->tensors()[0];
  CHECK(a.name == "a");
  CHECK(a.dtype == DType::kF32);
  CHECK(a.shape == std::vector<std::int64_t>{1, 2});
  float second = 0;
  std::memcpy(&second, a.data + 4, 4);
  CHECK(second == 2.0f);
  CHECK(file->metadata().at("format") == "pt");
}

TEST_CASE("hostile safetensors files are rejected with the problem named", "[safetensors]") {
  CHECK_THAT(parse_error("abc"), Contains("truncated"));
  CHECK_THAT(parse_error(file_bytes(kGoodHeader, float_bytes({1, 2, 3}))), Contains("run past the end of the data"));
  std::string huge = good_file();
  huge[4] = 0x7F;  // header length of about 5e11
  CHECK_THAT(parse_error(huge), Contains("exceeds the 100 MB limit"));
  std::string longer = good_file();
  longer[0] = static_cast<char>(0xFF);
  longer[1] = 0x0F;
  CHECK_THAT(parse_error(longer), Contains("larger than the file"));
  CHECK_THAT(parse_error(file_bytes("not json at all", "")), Contains("not a JSON object"));
  CHECK_THAT(parse_error(file_bytes("{\"a\": ", "")), Contains("not valid JSON"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", float_bytes({1}))),
             Contains("unknown dtype \"F33\""));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", float_bytes({1, 2}))),
             Contains("needs 12 bytes, data_offsets span 8"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                    float_bytes({1, 2, 3}))),
             Contains("overlaps"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", float_bytes({1, 2}))),
             Contains("hole in the data"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", float_bytes({1, 2}))),
             Contains("4 trailing bytes"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", float_bytes({1}))),
             Contains("not a non-negative integer"));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}})",
                                    float_bytes({1}))),
             Contains("overflowing"));
  CHECK_THAT(
      parse_error(file_bytes(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
          float_bytes({1}))),
      Contains("duplicate key \"a\""));
  CHECK_THAT(parse_error(file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", float_bytes({1}))),
             Contains("end before they begin"));
}

TEST_CASE("empty tensors and scalars are valid", "[safetensors]") {
  const std::string bytes = file_bytes(
      R"({"e":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})",
      float_bytes({7}));
  const auto file = SafetensorsFile::parse(bytes, "m.safetensors");
  CHECK(file->tensors().size() == 2);
}

TEST_CASE("every hostile model directory in tests/ is rejected before any tensor is read", "[safetensors]") {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(FORENSICS_SOURCE_DIR) / "tests/cli/hostile-models";
  int rejected = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename();
    if (!entry.is_directory() || name == "valid" || name == "model-type-only") continue;
    INFO(name);
    // Config problems and checkpoint problems throw; a well-formed checkpoint that does not fit
    // its config has mismatches.
    try {
      const auto config = load_model_config(entry.path());
      const auto checkpoint = forensics::runtime::Checkpoint::open(entry.path());
      CHECK_FALSE(forensics::runtime::checkpoint_mismatches(checkpoint, config).empty());
    } catch (const ModelError&) {}
    ++rejected;
  }
  CHECK(rejected >= 14);
  for (const char* valid : {"valid", "model-type-only"}) {
    const auto checkpoint = forensics::runtime::Checkpoint::open(root / valid);
    CHECK(forensics::runtime::checkpoint_mismatches(checkpoint, load_model_config(root / valid)).empty());
  }
}

TEST_CASE("checkpoint mismatches are listed 20 at a time, then counted", "[safetensors]") {
  const std::filesystem::path directory =
      std::filesystem::path(FORENSICS_SOURCE_DIR) / "tests/cli/hostile-models/config-larger-than-weights";
  const auto problems = forensics::runtime::checkpoint_mismatches(forensics::runtime::Checkpoint::open(directory),
                                                                  load_model_config(directory));
  REQUIRE(problems.size() == 21);
  CHECK(problems.front() == "missing tensor model.layers.1.input_layernorm.weight (expected shape [8])");
  CHECK(problems.back() == "... and 331 more");  // 39 missing layers x 9 tensors, less the 20 listed
}

TEST_CASE("one pass hashes the file bytes and finds non-finite values across chunk edges", "[safetensors]") {
  // "a": 3 float16 values (6 bytes), so "b"'s float32 values sit 2 bytes off a 4-byte boundary
  // and one of them straddles the reader's 4 MiB chunk edge; a NaN goes there. "_last" names
  // first but is stored last, so the scan must follow the data, not the names.
  constexpr std::uint64_t kChunk = 4u << 20;
  constexpr std::size_t kCount = (5u << 20) / 4;
  std::string header = R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"F32","shape":[)" +
                       std::to_string(kCount) + R"(],"data_offsets":[6,)" + std::to_string(6 + 4 * kCount) +
                       R"(]},"_last":{"dtype":"F32","shape":[1],"data_offsets":[)" + std::to_string(6 + 4 * kCount) +
                       "," + std::to_string(10 + 4 * kCount) + "]}}";
  while ((8 + header.size() + 6) % 4 != 2) header += ' ';
  const std::uint64_t b_start = 8 + header.size() + 6;
  const std::size_t straddling = (kChunk - b_start) / 4;
  REQUIRE(b_start + 4 * straddling < kChunk);
  REQUIRE(b_start + 4 * straddling + 4 > kChunk);
  std::string data(10 + 4 * kCount, '\0');
  const std::uint16_t half_infinity = 0x7C00;
  std::memcpy(data.data() + 2, &half_infinity, 2);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::size_t i : {straddling, kCount - 1}) std::memcpy(data.data() + 6 + 4 * i, &nan, 4);
  const float infinity = std::numeric_limits<float>::infinity();
  std::memcpy(data.data() + 6 + 4 * kCount, &infinity, 4);
  const std::string bytes = file_bytes(header, data);

  const auto folder =
      std::filesystem::temp_directory_path() / ("forensics-read-checkpoint-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  {
    std::ofstream out(folder / "model.safetensors", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const auto checkpoint = forensics::runtime::Checkpoint::open(folder);
  const auto reading = forensics::runtime::read_checkpoint(checkpoint, /*scan=*/true);
  CHECK(reading.sha256 == forensics::util::sha256_hex(bytes));
  CHECK(reading.bytes == bytes.size());
  CHECK(reading.non_finite == std::vector<std::string>{"_last (1 of 1 values)", "a (1 of 3 values)",
                                                       "b (2 of " + std::to_string(kCount) + " values)"});
  CHECK(reading.non_finite == forensics::runtime::non_finite_tensors(checkpoint));
  CHECK(forensics::runtime::read_checkpoint(checkpoint, /*scan=*/false).non_finite.empty());
  std::filesystem::remove_all(folder);
}
