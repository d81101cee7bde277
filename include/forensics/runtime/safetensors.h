// runtime: reading safetensors checkpoints (docs/formats.md), memory-mapped and validated in
// full before any tensor is touched: a hostile file is rejected with a message, never read out of
// bounds. Torch-free; the model loader wraps the validated bytes in tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/util/name_table.h"

namespace forensics::runtime {

enum class DType {
  kBool,
  kU8,
  kI8,
  kF8E5M2,
  kF8E4M3,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kI64,
  kU64,
  kF64,
};
inline constexpr util::NameTable kDTypeNames{std::array{
    util::NameEntry<DType>{DType::kBool, "BOOL"},
    util::NameEntry<DType>{DType::kU8, "U8"},
    util::NameEntry<DType>{DType::kI8, "I8"},
    util::NameEntry<DType>{DType::kF8E5M2, "F8_E5M2"},
    util::NameEntry<DType>{DType::kF8E4M3, "F8_E4M3"},
    util::NameEntry<DType>{DType::kI16, "I16"},
    util::NameEntry<DType>{DType::kU16, "U16"},
    util::NameEntry<DType>{DType::kF16, "F16"},
    util::NameEntry<DType>{DType::kBF16, "BF16"},
    util::NameEntry<DType>{DType::kI32, "I32"},
    util::NameEntry<DType>{DType::kU32, "U32"},
    util::NameEntry<DType>{DType::kF32, "F32"},
    util::NameEntry<DType>{DType::kI64, "I64"},
    util::NameEntry<DType>{DType::kU64, "U64"},
    util::NameEntry<DType>{DType::kF64, "F64"},
}};
std::size_t dtype_size(DType dtype);

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;  // into the mapping; valid while the file is open
  std::size_t size = 0;             // bytes
  std::string file;                 // the shard it lives in
};

/// One memory-mapped .safetensors file.
class SafetensorsFile {
 public:
  /// Maps and validates `path`. Throws ModelError naming the file and the problem.
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  /// Validates a file already in memory (`bytes` must outlive the object); for tests.
  static std::shared_ptr<const SafetensorsFile> parse(std::string_view bytes, std::string name);

  ~SafetensorsFile();
  const std::vector<TensorView>& tensors() const { return tensors_; }
  /// Drops this process's mapped pages inside [data, data + size) when they belong to this file's
  /// mapping (they stay in the page cache and fault back in if read again); false otherwise.
  bool release_pages(const std::byte* data, std::size_t size) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The path it was opened from, and its bytes (the whole mapped file; empty for `parse`).
  const std::string& name() const { return name_; }
  std::string_view bytes() const { return {static_cast<const char*>(mapping_), mapping_size_}; }

 private:
  SafetensorsFile() = default;
  void validate(std::string_view bytes);

  std::string name_;
  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// Every tensor of a checkpoint directory: `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json`. Pickle checkpoints are refused.
class Checkpoint {
 public:
  /// Throws ModelError: no safetensors, only pickles, a bad index, a bad shard, a tensor in two
  /// shards or missing from the shard the index names.
  static Checkpoint open(const std::filesystem::path& directory);

  const TensorView* find(std::string_view name) const;
  const std::map<std::string, TensorView, std::less<>>& tensors() const { return tensors_; }
  /// Total bytes of tensor data.
  std::size_t total_bytes() const;
  /// Once a tensor has been copied out, its mapped pages need not count against the process:
  /// loading a 16 GB checkpoint then peaks near 16 GB, not 32 (copy plus mapping).
  void release_pages(const std::byte* data, std::size_t size) const;
  const std::vector<std::shared_ptr<const SafetensorsFile>>& files() const { return files_; }

 private:
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, TensorView, std::less<>> tensors_;
};

/// The tensors of `checkpoint` that hold a NaN or an infinity (floating dtypes; integers cannot),
/// as "name (k of n values)", at most `limit` of them. Reads every weight byte: a model with a
/// NaN in one norm samples one repeated token and scores -nan, which no verdict should rest on.
std::vector<std::string> non_finite_tensors(const Checkpoint& checkpoint, std::size_t limit = 5);

/// What one pass over every weight byte finds: the checkpoint's SHA-256 (every file's bytes, in
/// path order: the hash an incident pins), their size, and when scanning, non_finite_tensors'
/// list. Hashing and scanning share the pass, so a checkpoint larger than the page cache is read
/// from disk once, not twice.
struct CheckpointReading {
  std::string sha256;
  std::size_t bytes = 0;
  std::vector<std::string> non_finite;
};
CheckpointReading read_checkpoint(const Checkpoint& checkpoint, bool scan, std::size_t limit = 5);

}  // namespace forensics::runtime

namespace forensics::runtime {

/// One tensor to write: its bytes (little-endian, row-major) must be dtype_size(dtype) times the
/// product of `shape`.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;
  std::size_t size = 0;
};

/// Writes a safetensors file atomically: tensors in name order, the header padded with spaces to a
/// multiple of 8 bytes, so the same tensors always give the same bytes. Throws ModelError for an
/// inconsistent tensor or a duplicate name, InputError when the file cannot be written.
void write_safetensors(const std::filesystem::path& path, std::vector<TensorToWrite> tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace forensics::runtime
