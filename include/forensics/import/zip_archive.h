// import: reading the members of a ZIP file, as Inspect's `.eval` logs are stored. libzip reads
// the central directory and inflates deflate members; members compressed with zstd (method 93,
// Inspect's default), which Debian 12's libzip cannot decompress, are read raw and decompressed
// with libzstd. Sizes are capped before anything is decompressed, so a hostile archive cannot
// exhaust memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace forensics::import {

struct ZipMember {
  std::string name;
  std::uint64_t size = 0;  // uncompressed, as the central directory says
  std::uint64_t compressed_size = 0;
  std::uint16_t method = 0;  // 0 stored, 8 deflate, 93 zstd
};

/// Largest member decompressed: one Inspect sample with its events is far below this.
inline constexpr std::uint64_t kMaxZipMemberBytes = 1ull << 30;

class ZipArchive {
 public:
  /// Opens and checks the archive's central directory. Throws InputError naming the file and
  /// what is wrong (not a ZIP, truncated, inconsistent).
  explicit ZipArchive(const std::filesystem::path& path);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::vector<ZipMember>& members() const { return members_; }
  bool contains(const std::string& name) const;

  /// The member's bytes, decompressed. Throws InputError naming the archive and the member
  /// when it is missing, too large, compressed by an unsupported method, or corrupt.
  std::string read(const std::string& name) const;

 private:
  std::string read_with_libzip(std::uint64_t index, const ZipMember& member, bool raw) const;

  std::filesystem::path path_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::vector<ZipMember> members_;
};

}  // namespace forensics::import
