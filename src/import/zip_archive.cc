// ZIP members through libzip, zstd members through libzstd (zip_archive.h says why).
#include "forensics/import/zip_archive.h"

#include <zip.h>
#include <zstd.h>

#include <algorithm>

#include "forensics/util/error.h"

namespace forensics::import {

namespace {

constexpr std::uint16_t kMethodStored = 0;
constexpr std::uint16_t kMethodDeflate = 8;
constexpr std::uint16_t kMethodZstd = 93;

std::string libzip_error(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// Decompresses every frame (Inspect writes members as one or more zstd frames), refusing output
// beyond the size the central directory declared.
std::string zstd_decompress(const std::string& compressed, std::uint64_t declared_size, const std::string& where) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(), ZSTD_freeDStream);
  if (!stream) throw Error(where + ": out of memory for zstd");
  ZSTD_initDStream(stream.get());
  std::string out;
  std::string buffer(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  std::size_t last = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
    last = ZSTD_decompressStream(stream.get(), &output, &input);
    if (ZSTD_isError(last)) throw InputError(where + ": corrupt zstd data (" + ZSTD_getErrorName(last) + ")");
    out.append(buffer.data(), output.pos);
    if (out.size() > declared_size) throw InputError(where + ": decompresses to more bytes than the archive declares");
    if (output.pos == 0 && last != 0 && input.pos == input.size) break;
  }
  if (last != 0) throw InputError(where + ": zstd data ends in the middle of a frame (truncated?)");
  return out;
}

}  // namespace

struct ZipArchive::Handle {
  zip_t* zip = nullptr;
};

ZipArchive::ZipArchive(const std::filesystem::path& path) : path_(path), handle_(std::make_unique<Handle>()) {
  int code = 0;
  handle_->zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (handle_->zip == nullptr) {
    throw InputError(path.string() + ": not a readable ZIP archive (" + libzip_error(code) +
                     "); an Inspect .eval log is a ZIP file");
  }
  const zip_int64_t count = zip_get_num_entries(handle_->zip, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(handle_->zip, static_cast<zip_uint64_t>(i), 0, &stat) != 0) {
      throw InputError(path.string() + ": entry " + std::to_string(i) + " of the ZIP directory is unreadable");
    }
    members_.push_back({stat.name != nullptr ? stat.name : "", stat.size, stat.comp_size,
                        static_cast<std::uint16_t>(stat.comp_method)});
  }
}

ZipArchive::~ZipArchive() {
  if (handle_ && handle_->zip != nullptr) zip_discard(handle_->zip);
}

bool ZipArchive::contains(const std::string& name) const {
  return std::any_of(members_.begin(), members_.end(), [&](const ZipMember& m) { return m.name == name; });
}

std::string ZipArchive::read_with_libzip(std::uint64_t index, const ZipMember& member, bool raw) const {
  const std::string where = path_.string() + ": member " + member.name;
  zip_file_t* file = zip_fopen_index(handle_->zip, index, raw ? ZIP_FL_COMPRESSED : 0);
  if (file == nullptr) throw InputError(where + ": cannot be opened (" + zip_strerror(handle_->zip) + ")");
  const std::uint64_t expected = raw ? member.compressed_size : member.size;
  std::string bytes(static_cast<std::size_t>(expected), '\0');
  const zip_int64_t got = zip_fread(file, bytes.data(), expected);
  std::string reason = got < 0 ? zip_file_strerror(file) : "";
  zip_fclose(file);
  if (got < 0) throw InputError(where + ": unreadable (" + reason + ")");
  if (static_cast<std::uint64_t>(got) != expected) {
    throw InputError(where + ": holds " + std::to_string(got) + " of its " + std::to_string(expected) +
                     " bytes (truncated archive?)");
  }
  return bytes;
}

std::string ZipArchive::read(const std::string& name) const {
  const std::string where = path_.string() + ": member " + name;
  // Inspect supersedes a member by appending it again under the same name: the last one counts.
  const auto found =
      std::find_if(members_.rbegin(), members_.rend(), [&](const ZipMember& m) { return m.name == name; });
  if (found == members_.rend()) throw InputError(path_.string() + ": has no member " + name);
  const ZipMember& member = *found;
  if (member.size > kMaxZipMemberBytes || member.compressed_size > kMaxZipMemberBytes) {
    throw InputError(where + ": " + std::to_string(member.size) + " bytes is larger than the " +
                     std::to_string(kMaxZipMemberBytes) + " accepted");
  }
  const auto index = static_cast<std::uint64_t>(members_.rend() - found - 1);
  switch (member.method) {
    case kMethodStored:
    case kMethodDeflate: return read_with_libzip(index, member, false);
    case kMethodZstd: return zstd_decompress(read_with_libzip(index, member, true), member.size, where);
    default:
      throw InputError(where + ": compression method " + std::to_string(member.method) +
                       " is not supported (stored, deflate and zstd are)");
  }
}

}  // namespace forensics::import
