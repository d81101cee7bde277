// engine: one HTTP exchange over libcurl (TLS through the system's trust store). A Session is
// one connection's worth of state, used by one thread at a time; the engine client keeps one per
// worker thread so requests in flight reuse their connections.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "forensics/util/error.h"

namespace forensics::engine {

struct HttpResponse {
  long status = 0;
  std::string body;
};

/// The request never got an HTTP answer: connection refused, reset, timed out, a TLS failure.
class TransportError : public Error {
 public:
  using Error::Error;
};

class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// GET when `body` is null, POST of `body` (JSON) otherwise. Throws TransportError when no
  /// response arrives within `timeout_s` (or at all); any HTTP status is returned, not thrown.
  HttpResponse exchange(const std::string& url, const std::string* body, const std::vector<std::string>& headers,
                        double timeout_s);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

}  // namespace forensics::engine
