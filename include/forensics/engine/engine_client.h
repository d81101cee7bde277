// engine: a client of an OpenAI-compatible inference server (vLLM, SGLang): JSON requests with
// bounded concurrency, retries with backoff on 429, 5xx, timeouts and broken answers, and a clear
// error after the last attempt quoting the server (docs/engine.md). Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::engine {

struct EngineSettings {
  std::string url;                        // the server's base URL, with or without a trailing /v1
  std::string model;                      // the served model name; empty: the one model the server serves
  std::int64_t concurrency = 32;          // requests in flight at once
  std::filesystem::path cache_directory;  // empty: no request cache
  double timeout_s = 600;                 // per request
  std::int64_t attempts = 6;              // tries per request, the first included
  double first_backoff_s = 0.5;           // wait before the second try; doubled each time, at most 30 s
  // The environment variable holding the API key sent as a bearer token (never written anywhere).
  std::string api_key_variable = "FORENSICS_ENGINE_API_KEY";
};

/// Throws InputError when a setting is out of range or the URL is not http(s)://host[:port][/path].
void check_engine_settings(const EngineSettings& settings);

/// `url` as a verdict may record it: a user name and password in it removed.
std::string public_url(const std::string& url);

/// The request cache's default folder: $XDG_CACHE_HOME/forensics/engine-requests, else
/// ~/.cache/forensics/engine-requests.
std::filesystem::path default_cache_directory();

class EngineClient {
 public:
  explicit EngineClient(EngineSettings settings);

  const EngineSettings& settings() const { return settings_; }
  /// The base URL as the verdict records it: user name and password removed.
  std::string public_url() const;

  /// GET base + path (path starts with "/v1/..." or "/version"); the parsed JSON answer.
  Json get(const std::string& path) const;
  /// As get, but a 404 answers an empty optional (an endpoint this server does not have).
  std::optional<Json> get_if_present(const std::string& path) const;
  std::optional<Json> post_if_present(const std::string& path, const Json& body) const;
  /// POSTs every body to base + path, `concurrency` in flight, each retried on its own; the answers
  /// in the bodies' order. `on_answer(i)` hears each as it arrives (from worker threads, one at a time).
  std::vector<Json> post_all(const std::string& path, const std::vector<Json>& bodies,
                             const std::function<void(std::size_t index, const Json& answer)>& on_answer) const;

 private:
  EngineSettings settings_;
  std::string base_;  // without a trailing slash or /v1
  std::vector<std::string> headers_;
};

}  // namespace forensics::engine
