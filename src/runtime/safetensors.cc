#include "forensics/runtime/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

#include "forensics/util/error.h"
#include "forensics/util/json.h"
#include "forensics/util/json_document.h"
#include "forensics/util/sha256.h"

namespace forensics::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference reader's limit

[[noreturn]] void fail(const std::string& file, const std::string& message) { throw ModelError(file + ": " + message); }

std::uint64_t read_u64_le(const char* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

// numel * element size, or nullopt on overflow.
std::optional<std::uint64_t> byte_size(const std::vector<std::int64_t>& shape, std::size_t element) {
  std::uint64_t total = element;
  for (auto dim : shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && total > std::numeric_limits<std::uint64_t>::max() / d) return std::nullopt;
    total *= d;
  }
  return total;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kU8:
    case DType::kI8:
    case DType::kF8E5M2:
    case DType::kF8E4M3: return 1;
    case DType::kI16:
    case DType::kU16:
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kI32:
    case DType::kU32:
    case DType::kF32: return 4;
    case DType::kI64:
    case DType::kU64:
    case DType::kF64: return 8;
  }
  return 0;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::parse(std::string_view bytes, std::string name) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->name_ = std::move(name);
  file->validate(bytes);
  return file;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; the check below
  // then refuses anything but a regular file.
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(name, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    fail(name, "not a regular file");
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  void* mapping = nullptr;
  if (size > 0) {
    mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      fail(name, std::string("cannot memory-map: ") + std::strerror(error));
    }
  }
  ::close(fd);
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->name_ = name;
  file->mapping_ = mapping;
  file->mapping_size_ = size;
  file->validate(std::string_view(static_cast<const char*>(mapping), size));
  return file;
}

// Every check of docs/formats.md ("safetensors"), before anything is used: bounds, JSON, dtypes, sizes, and a
// data section that the tensors tile exactly (no overlaps, holes or trailing bytes).
void SafetensorsFile::validate(std::string_view bytes) {
  if (bytes.size() < 8) {
    fail(name_, "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the 8-byte header length");
  }
  const std::uint64_t header_length = read_u64_le(bytes.data());
  if (header_length > kMaxHeaderBytes) {
    fail(name_, "header length " + std::to_string(header_length) + " exceeds the 100 MB limit");
  }
  if (header_length > bytes.size() - 8) {
    fail(name_, "header length " + std::to_string(header_length) + " is larger than the file (" +
                    std::to_string(bytes.size()) + " bytes)");
  }
  const std::string_view header = bytes.substr(8, header_length);
  if (header.empty() || header.front() != '{') fail(name_, "header is not a JSON object");
  Json document;
  try {
    document = util::parse_json_strict(header, name_ + " (header)");
  } catch (const InputError& e) {
    fail(name_, std::string("header is not valid JSON: ") + e.what());
  }
  if (!document.is_object()) fail(name_, "header is not a JSON object");

  const std::size_t data_start = 8 + header_length;
  const std::size_t data_size = bytes.size() - data_start;
  struct Entry {
    TensorView view;
    std::uint64_t begin;
    std::uint64_t end;
  };
  std::vector<Entry> entries;
  for (const auto& [key, value] : document.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail(name_, "__metadata__ must be an object of strings");
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string()) fail(name_, "__metadata__." + meta_key + " is not a string");
        metadata_[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor \"" + key + "\"";
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets")) {
      fail(name_, where + ": expected {dtype, shape, data_offsets}");
    }
    Entry entry;
    entry.view.name = key;
    entry.view.file = name_;
    const Json& dtype = value.at("dtype");
    const auto parsed = dtype.is_string() ? kDTypeNames.parse(dtype.get<std::string>()) : std::nullopt;
    if (!parsed) fail(name_, where + ": unknown dtype " + dtype.dump());
    entry.view.dtype = *parsed;
    const Json& shape = value.at("shape");
    if (!shape.is_array()) fail(name_, where + ": shape is not an array");
    for (const auto& dim : shape) {
      if (!dim.is_number_unsigned() && !(dim.is_number_integer() && dim.get<std::int64_t>() >= 0)) {
        fail(name_, where + ": shape " + shape.dump() + " has a dimension that is not a non-negative integer");
      }
      if (dim.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail(name_, where + ": shape dimension too large");
      }
      entry.view.shape.push_back(dim.get<std::int64_t>());
    }
    const Json& offsets = value.at("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      fail(name_, where + ": data_offsets must be [begin, end] non-negative integers");
    }
    entry.begin = offsets[0].get<std::uint64_t>();
    entry.end = offsets[1].get<std::uint64_t>();
    if (entry.end < entry.begin) fail(name_, where + ": data_offsets end before they begin");
    const auto expected = byte_size(entry.view.shape, dtype_size(entry.view.dtype));
    if (!expected || *expected != entry.end - entry.begin) {
      fail(name_, where + ": shape " + shape_text(entry.view.shape) + " of " +
                      std::string(kDTypeNames.name(entry.view.dtype)) + " needs " +
                      (expected ? std::to_string(*expected) : std::string("overflowing")) +
                      " bytes, data_offsets span " + std::to_string(entry.end - entry.begin));
    }
    if (entry.end > data_size) {
      fail(name_, where + ": data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                      "] run past the end of the data (" + std::to_string(data_size) + " bytes)");
    }
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  std::uint64_t cursor = 0;
  for (const auto& entry : entries) {
    if (entry.begin < cursor) {
      fail(name_, "tensor \"" + entry.view.name + "\" overlaps the tensor before it (begins at " +
                      std::to_string(entry.begin) + ", previous ends at " + std::to_string(cursor) + ")");
    }
    if (entry.begin > cursor) {
      fail(name_, "hole in the data before tensor \"" + entry.view.name + "\" (bytes " + std::to_string(cursor) +
                      " to " + std::to_string(entry.begin) + " unused)");
    }
    cursor = entry.end;
  }
  if (cursor != data_size) {
    fail(name_, std::to_string(data_size - cursor) + " trailing bytes after the last tensor");
  }
  for (auto& entry : entries) {
    entry.view.data = reinterpret_cast<const std::byte*>(bytes.data() + data_start + entry.begin);
    entry.view.size = entry.end - entry.begin;
    tensors_.push_back(std::move(entry.view));
  }
}

Checkpoint Checkpoint::open(const fs::path& directory) {
  const std::string dir = directory.string();
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) throw ModelError(dir + ": not a model directory");
  Checkpoint checkpoint;
  auto add_file = [&](const fs::path& path) {
    auto file = SafetensorsFile::open(path);
    for (const auto& view : file->tensors()) {
      if (checkpoint.tensors_.count(view.name) > 0) {
        throw ModelError(dir + ": tensor \"" + view.name + "\" appears in more than one shard (" +
                         checkpoint.tensors_.at(view.name).file + " and " + view.file + ")");
      }
      checkpoint.tensors_.emplace(view.name, view);
    }
    checkpoint.files_.push_back(std::move(file));
  };
  const fs::path single = directory / "model.safetensors";
  const fs::path index_path = directory / "model.safetensors.index.json";
  if (fs::exists(index_path, ec)) {
    Json index;
    try {
      index = util::parse_json_strict(util::read_text_file(index_path, 64u << 20), index_path.string());
    } catch (const InputError& e) {
      throw ModelError(e.what());
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      throw ModelError(index_path.string() + ": expected {\"weight_map\": {tensor: shard file}}");
    }
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) throw ModelError(index_path.string() + ": shard of \"" + tensor + "\" is not a string");
      const std::string name = shard.get<std::string>();
      if (name.find('/') != std::string::npos || name.find("..") != std::string::npos || name.empty()) {
        throw ModelError(index_path.string() + ": shard name \"" + name +
                         "\" must be a plain file name in the model directory");
      }
      shards.insert(name);
    }
    for (const auto& shard : shards) {
      if (!fs::exists(directory / shard, ec)) {
        throw ModelError(index_path.string() + ": shard " + shard + " does not exist");
      }
      add_file(directory / shard);
    }
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
      const auto it = checkpoint.tensors_.find(tensor);
      if (it == checkpoint.tensors_.end() || fs::path(it->second.file).filename() != shard.get<std::string>()) {
        throw ModelError(index_path.string() + ": tensor \"" + tensor + "\" is not in shard " +
                         shard.get<std::string>());
      }
    }
  } else if (fs::exists(single, ec)) {
    add_file(single);
  } else {
    bool pickle = false;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
      const auto extension = entry.path().extension();
      pickle = pickle || extension == ".bin" || extension == ".pt" || extension == ".pth";
    }
    throw ModelError(pickle ? dir +
                                  ": only pickle weights (.bin/.pt); forensics never loads pickles, "
                                  "since loading one can run code. Convert the checkpoint to "
                                  "safetensors (model.save_pretrained(dir, safe_serialization=True))"
                            : dir + ": no model.safetensors or model.safetensors.index.json");
  }
  return checkpoint;
}

const TensorView* Checkpoint::find(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

bool SafetensorsFile::release_pages(const std::byte* data, std::size_t size) const {
  const auto* begin = static_cast<const std::byte*>(mapping_);
  if (mapping_ == nullptr || data < begin || data + size > begin + mapping_size_) return false;
  // Whole pages inside the range only: a page shared with a neighbouring tensor stays mapped.
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto first = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto last = (reinterpret_cast<std::uintptr_t>(data) + size) / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  return true;
}

void Checkpoint::release_pages(const std::byte* data, std::size_t size) const {
  for (const auto& file : files_) {
    if (file->release_pages(data, size)) return;
  }
}

std::size_t Checkpoint::total_bytes() const {
  std::size_t total = 0;
  for (const auto& [name, view] : tensors_) total += view.size;
  return total;
}

namespace {

/// Values in [data, data + size) of `dtype` whose exponent bits are all ones (NaN or infinity),
/// for the floating dtypes.
std::size_t count_non_finite(DType dtype, const std::byte* data, std::size_t size) {
  const auto count = [&](auto bits_type, auto exponent_mask) {
    using Bits = decltype(bits_type);
    std::size_t found = 0;
    const std::size_t n = size / sizeof(Bits);
    for (std::size_t i = 0; i < n; ++i) {
      Bits bits;
      std::memcpy(&bits, data + i * sizeof(Bits), sizeof(Bits));
      found += (bits & exponent_mask) == exponent_mask ? 1 : 0;
    }
    return found;
  };
  switch (dtype) {
    case DType::kF16: return count(std::uint16_t{}, std::uint16_t{0x7C00});
    case DType::kBF16: return count(std::uint16_t{}, std::uint16_t{0x7F80});
    case DType::kF32: return count(std::uint32_t{}, std::uint32_t{0x7F800000});
    case DType::kF64: return count(std::uint64_t{}, std::uint64_t{0x7FF0000000000000});
    default: return 0;  // integers and 8-bit floats (whose NaN encodings differ) are not scanned
  }
}

std::string non_finite_entry(const TensorView& view, std::size_t found) {
  const std::size_t values = view.size / std::max<std::size_t>(1, dtype_size(view.dtype));
  return view.name + " (" + std::to_string(found) + " of " + std::to_string(values) + " values)";
}

/// Adds to `found[i]` the non-finite values of `tensors[i]` that start in [begin, end) (a value
/// straddling `end` is counted here, in full, and skipped by the next chunk). `tensors` are in
/// file order and chunks come in file order, so `first` (the first tensor not yet wholly behind the
/// chunks) only moves forward: the scan is linear in tensors plus chunks, not their product.
void scan_chunk(const std::vector<const TensorView*>& tensors, const std::byte* begin, const std::byte* end,
                std::size_t& first, std::vector<std::size_t>& found) {
  while (first < tensors.size() && tensors[first]->data + tensors[first]->size <= begin) ++first;
  for (std::size_t i = first; i < tensors.size() && tensors[i]->data < end; ++i) {
    const TensorView& view = *tensors[i];
    const std::byte* tensor_end = view.data + view.size;
    if (tensor_end <= begin) continue;
    const std::size_t element = std::max<std::size_t>(1, dtype_size(view.dtype));
    const auto aligned = [&](const std::byte* at) {
      if (at <= view.data) return view.data;
      const auto offset = static_cast<std::size_t>(at - view.data);
      return std::min(tensor_end, view.data + (offset + element - 1) / element * element);
    };
    const std::byte* from = aligned(begin);
    const std::byte* to = aligned(end);
    if (to > from) found[i] += count_non_finite(view.dtype, from, static_cast<std::size_t>(to - from));
  }
}

}  // namespace

std::vector<std::string> non_finite_tensors(const Checkpoint& checkpoint, std::size_t limit) {
  std::vector<std::string> out;
  for (const auto& [name, view] : checkpoint.tensors()) {
    const std::size_t found = count_non_finite(view.dtype, view.data, view.size);
    checkpoint.release_pages(view.data, view.size);
    if (found == 0) continue;
    out.push_back(non_finite_entry(view, found));
    if (out.size() == limit) break;
  }
  return out;
}

CheckpointReading read_checkpoint(const Checkpoint& checkpoint, bool scan, std::size_t limit) {
  constexpr std::size_t kChunk = 4u << 20;  // hashed, then scanned while it is in the CPU's cache
  std::vector<const SafetensorsFile*> files;
  for (const auto& file : checkpoint.files()) files.push_back(file.get());
  std::sort(files.begin(), files.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  util::Sha256 hash;
  CheckpointReading out;
  std::map<std::string, std::size_t> non_finite;  // by tensor name, the order non_finite_tensors lists
  for (const SafetensorsFile* file : files) {
    const std::string_view bytes = file->bytes();
    std::vector<const TensorView*> tensors;
    for (const auto& view : file->tensors()) tensors.push_back(&view);
    std::sort(tensors.begin(), tensors.end(), [](auto* a, auto* b) { return a->data < b->data; });
    std::vector<std::size_t> found(tensors.size(), 0);
    std::size_t first = 0;
    for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
      const std::size_t length = std::min(kChunk, bytes.size() - at);
      hash.update(bytes.data() + at, length);
      const auto* begin = reinterpret_cast<const std::byte*>(bytes.data() + at);
      if (scan) scan_chunk(tensors, begin, begin + length, first, found);
      checkpoint.release_pages(begin, length);
    }
    out.bytes += bytes.size();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      if (found[i] > 0) non_finite[tensors[i]->name] = found[i];
    }
  }
  out.sha256 = hash.hex_digest();
  for (const auto& [name, count] : non_finite) {
    if (out.non_finite.size() == limit) break;
    out.non_finite.push_back(non_finite_entry(*checkpoint.find(name), count));
  }
  return out;
}

}  // namespace forensics::runtime
