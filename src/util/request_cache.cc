// util: the on-disk request cache, one small JSON file per answer, named by its key's SHA-256.
#include "forensics/util/request_cache.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/sha256.h"

namespace forensics::util {
namespace fs = std::filesystem;

namespace {

// An entry is a few kilobytes (one sampled turn's ids); a larger file is not one of ours.
constexpr std::size_t kMaxEntryBytes = 16u << 20;

}  // namespace

RequestCache::RequestCache(fs::path directory) : directory_(std::move(directory)) {
  if (directory_.empty()) return;
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error || !fs::is_directory(directory_)) {
    throw InputError("cannot use " + directory_.string() + " as a cache folder: " + error.message());
  }
}

fs::path RequestCache::path_for(const std::string& digest) const {
  return directory_ / digest.substr(0, 2) / (digest + ".json");
}

std::optional<Json> RequestCache::load(const Json& key) const {
  if (!enabled()) return std::nullopt;
  const std::string text = key.dump();
  const fs::path path = path_for(sha256_hex(text));
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::nullopt;
  try {
    Json entry = parse_json_strict(read_text_file(path, kMaxEntryBytes), path.string());
    if (!entry.is_object() || !entry.contains("key") || entry["key"].dump() != text || !entry.contains("value")) {
      return std::nullopt;
    }
    return entry["value"];
  } catch (const Error&) {
    return std::nullopt;  // a damaged entry is re-requested and rewritten
  }
}

void RequestCache::store(const Json& key, const Json& value) const {
  if (!enabled()) return;
  const fs::path path = path_for(sha256_hex(key.dump()));
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  write_file_atomically(path, Json{{"key", key}, {"value", value}}.dump() + "\n");
}

}  // namespace forensics::util
