// engine: HTTP over libcurl's easy interface, one handle per Session.
#include "forensics/engine/http.h"

#include <curl/curl.h>

#include <mutex>

namespace forensics::engine {
namespace {

// The largest response body we read: a completion of thousands of tokens with their ids is a few
// hundred kilobytes; a server sending more is broken or hostile.
constexpr std::size_t kMaxResponseBytes = 64u << 20;

void initialise_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw TransportError("libcurl failed to initialise");
  });
}

struct Body {
  std::string text;
  bool too_large = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const std::size_t bytes = size * count;
  if (body->text.size() + bytes > kMaxResponseBytes) {
    body->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  body->text.append(data, bytes);
  return bytes;
}

}  // namespace

struct Session::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

Session::Session() : handle_(std::make_unique<Handle>()) {
  initialise_curl_once();
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw TransportError("libcurl could not create a connection handle");
}

Session::~Session() = default;

HttpResponse Session::exchange(const std::string& url, const std::string* body, const std::vector<std::string>& headers,
                               double timeout_s) {
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);  // keeps the connection cache, forgets the last request's options
  Body received;
  curl_slist* header_list = nullptr;
  for (const auto& header : headers) header_list = curl_slist_append(header_list, header.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout_s, 30.0) * 1000));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM, safe in threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (received.too_large) {
    throw TransportError("the response is larger than " + std::to_string(kMaxResponseBytes >> 20) + " MiB");
  }
  if (code != CURLE_OK) throw TransportError(curl_easy_strerror(code));
  HttpResponse out;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  out.body = std::move(received.text);
  return out;
}

}  // namespace forensics::engine
