// engine: requests to an OpenAI-compatible server, retried and run concurrently.
#include "forensics/engine/engine_client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "forensics/engine/http.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"
#include "forensics/util/text.h"

namespace forensics::engine {
namespace {

constexpr double kLongestBackoffS = 30;

/// What one attempt came to.
struct Attempt {
  std::optional<Json> answer;  // a usable answer
  bool absent = false;         // 404: the server has no such endpoint
  bool retry = false;          // worth another try (429, 5xx, no answer, broken answer)
  std::string problem;         // why there is no answer, quoting the server
};

/// The server's own words from an error body: OpenAI's {"error": {"message"}}, FastAPI's
/// {"detail"}, {"message"}, or the body itself, shortened.
std::string server_message(const std::string& body) {
  Json document = Json::parse(body, nullptr, false);
  const auto text_of = [](const Json& value) -> std::optional<std::string> {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array() || value.is_object()) return value.dump();
    return std::nullopt;
  };
  if (document.is_object()) {
    if (document.contains("error")) {
      const Json& error = document["error"];
      if (error.is_object() && error.contains("message")) {
        if (auto text = text_of(error["message"])) return util::abbreviate(*text, 400);
      }
      if (auto text = text_of(error)) return util::abbreviate(*text, 400);
    }
    for (const char* key : {"message", "detail"}) {
      if (document.contains(key)) {
        if (auto text = text_of(document[key])) return util::abbreviate(*text, 400);
      }
    }
  }
  return body.empty() ? "(empty body)" : util::abbreviate(util::valid_utf8(body), 400);
}

Attempt attempt(Session& session, const std::string& url, const std::string* body,
                const std::vector<std::string>& headers, double timeout_s) {
  Attempt out;
  HttpResponse response;
  try {
    response = session.exchange(url, body, headers, timeout_s);
  } catch (const TransportError& e) {
    out.retry = true;
    out.problem = std::string("no answer: ") + e.what();
    return out;
  }
  if (response.status == 404) {
    out.absent = true;
    out.problem = "HTTP 404: " + server_message(response.body);
    return out;
  }
  if (response.status != 200) {
    out.retry = response.status == 429 || response.status >= 500;
    out.problem = "HTTP " + std::to_string(response.status) + ": " + server_message(response.body);
    return out;
  }
  try {
    out.answer = util::parse_json_strict(response.body, url);
  } catch (const Error& e) {
    // A cut connection or a proxy's page in place of JSON: the next try may get it whole.
    out.retry = true;
    out.problem = std::string("an answer that is not JSON (") + e.what() + ")";
  }
  return out;
}

/// Tries until an answer, a final refusal or the last attempt; nullopt only for 404 when allowed.
std::optional<Json> exchange_with_retries(Session& session, const EngineSettings& settings, const std::string& url,
                                          const std::string* body, const std::vector<std::string>& headers,
                                          bool absent_is_answer, const std::string& what) {
  double backoff = settings.first_backoff_s;
  for (std::int64_t tries = 1;; ++tries) {
    Attempt result = attempt(session, url, body, headers, settings.timeout_s);
    if (result.answer) return result.answer;
    if (result.absent && absent_is_answer) return std::nullopt;
    if (!result.retry || tries >= settings.attempts) {
      throw EngineError("engine: " + what + " failed" +
                        (tries > 1 ? " after " + std::to_string(tries) + " attempts" : std::string()) + ": " +
                        result.problem);
    }
    util::log_warning("engine: " + what + ": " + result.problem + "; retrying in " + util::duration_text(backoff));
    std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
    backoff = std::min(backoff * 2, kLongestBackoffS);
  }
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

void check_engine_settings(const EngineSettings& settings) {
  if (!starts_with(settings.url, "http://") && !starts_with(settings.url, "https://")) {
    throw InputError("--engine: \"" + settings.url + "\" is not an http:// or https:// URL");
  }
  const std::size_t host = settings.url.find("://") + 3;
  if (host >= settings.url.size() || settings.url[host] == '/') {
    throw InputError("--engine: \"" + settings.url + "\" names no host");
  }
  if (settings.concurrency < 1 || settings.concurrency > 4096) {
    throw InputError("--engine-concurrency must be between 1 and 4096");
  }
  if (!(settings.timeout_s > 0) || settings.timeout_s > 86400) {
    throw InputError("--engine-timeout must be between 0 and 86400 seconds");
  }
  if (settings.attempts < 1 || settings.attempts > 100) throw InputError("--engine-attempts must be between 1 and 100");
}

EngineClient::EngineClient(EngineSettings settings) : settings_(std::move(settings)) {
  check_engine_settings(settings_);
  base_ = settings_.url;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (base_.size() >= 3 && base_.compare(base_.size() - 3, 3, "/v1") == 0) base_.resize(base_.size() - 3);
  headers_ = {"Content-Type: application/json", "Accept: application/json"};
  if (const char* key = std::getenv(settings_.api_key_variable.c_str()); key != nullptr && *key != '\0') {
    headers_.push_back(std::string("Authorization: Bearer ") + key);
  }
}

std::string public_url(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t host = scheme + 3;
  const std::size_t at = url.find('@', host);
  const std::size_t slash = url.find('/', host);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

std::filesystem::path default_cache_directory() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') return std::filesystem::path(xdg) / "forensics" / "engine-requests";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr && *home != '\0' ? home : "/tmp") / ".cache" / "forensics" /
         "engine-requests";
}

std::string EngineClient::public_url() const { return engine::public_url(base_); }

Json EngineClient::get(const std::string& path) const {
  Session session;
  return *exchange_with_retries(session, settings_, base_ + path, nullptr, headers_, false, "GET " + path);
}

std::optional<Json> EngineClient::get_if_present(const std::string& path) const {
  Session session;
  return exchange_with_retries(session, settings_, base_ + path, nullptr, headers_, true, "GET " + path);
}

std::optional<Json> EngineClient::post_if_present(const std::string& path, const Json& body) const {
  Session session;
  const std::string text = body.dump();
  return exchange_with_retries(session, settings_, base_ + path, &text, headers_, true, "POST " + path);
}

std::vector<Json> EngineClient::post_all(
    const std::string& path, const std::vector<Json>& bodies,
    const std::function<void(std::size_t index, const Json& answer)>& on_answer) const {
  std::vector<Json> answers(bodies.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards first_error and on_answer
  std::exception_ptr first_error;
  const auto work = [&] {
    try {
      Session session;
      for (std::size_t i = next++; i < bodies.size() && !failed; i = next++) {
        const std::string text = bodies[i].dump();
        answers[i] = *exchange_with_retries(session, settings_, base_ + path, &text, headers_, false, "POST " + path);
        const std::lock_guard<std::mutex> lock(mutex);
        if (on_answer) on_answer(i, answers[i]);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  };
  const auto threads =
      static_cast<std::size_t>(std::min<std::int64_t>(settings_.concurrency, static_cast<std::int64_t>(bodies.size())));
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(work);
  if (threads > 0) work();
  for (auto& worker : workers) worker.join();
  if (first_error) std::rethrow_exception(first_error);
  return answers;
}

}  // namespace forensics::engine
