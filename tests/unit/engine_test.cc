// engine: the parts of the engine client that need no server: URL handling, settings checks, the
// request cache, and the error after the last attempt when nothing listens. The exchanges with a
// server are tested end to end in tests/engine/ (a scripted server and a real vLLM).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "forensics/engine/engine_client.h"
#include "forensics/util/error.h"
#include "forensics/util/request_cache.h"
#include "forensics/util/sha256.h"

namespace fs = std::filesystem;
using forensics::Json;
using namespace forensics::engine;
using forensics::util::RequestCache;

namespace {

fs::path fresh_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("forensics-engine-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(folder);
  return folder;
}

}  // namespace

TEST_CASE("a URL loses its user name and password before a verdict records it", "[engine]") {
  CHECK(public_url("https://alice:s3cret@gpu-box:8000/v1") == "https://gpu-box:8000/v1");
  CHECK(public_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000");
  // An @ in the path is not a credential.
  CHECK(public_url("http://host/models/a@b") == "http://host/models/a@b");
}

TEST_CASE("engine settings out of range are bad input", "[engine]") {
  EngineSettings settings;
  settings.url = "ftp://host";
  CHECK_THROWS_AS(check_engine_settings(settings), forensics::InputError);
  settings.url = "http:///v1";
  CHECK_THROWS_WITH(check_engine_settings(settings), Catch::Contains("names no host"));
  settings.url = "http://host:8000";
  settings.concurrency = 0;
  CHECK_THROWS_AS(check_engine_settings(settings), forensics::InputError);
  settings.concurrency = 8;
  CHECK_NOTHROW(check_engine_settings(settings));
}

TEST_CASE("the request cache returns what was stored under the same key only", "[engine]") {
  const fs::path folder = fresh_folder("cache");
  const RequestCache cache(folder);
  const Json key{{"kind", "sample"}, {"prompt", {1, 2, 3}}, {"seed", 7}, {"index", 0}};
  const Json value{{"tokens", {4, 5}}, {"finish", "eos"}};
  CHECK_FALSE(cache.load(key).has_value());
  cache.store(key, value);
  REQUIRE(cache.load(key).has_value());
  CHECK(*cache.load(key) == value);
  Json other = key;
  other["index"] = 1;
  CHECK_FALSE(cache.load(other).has_value());

  // A damaged entry is a miss, not an error, and the next store replaces it.
  const std::string digest = forensics::util::sha256_hex(key.dump());
  const fs::path entry = folder / digest.substr(0, 2) / (digest + ".json");
  REQUIRE(fs::is_regular_file(entry));
  std::ofstream(entry) << "{\"key\": ";
  CHECK_FALSE(cache.load(key).has_value());
  cache.store(key, value);
  CHECK(*cache.load(key) == value);
  fs::remove_all(folder);
}

TEST_CASE("a cache with no folder keeps nothing", "[engine]") {
  const RequestCache cache{fs::path()};
  CHECK_FALSE(cache.enabled());
  cache.store(Json{{"a", 1}}, Json(2));
  CHECK_FALSE(cache.load(Json{{"a", 1}}).has_value());
}

TEST_CASE("nothing listening is an engine error after the last attempt, naming the request", "[engine]") {
  EngineSettings settings;
  settings.url = "http://127.0.0.1:9";  // the discard port: nothing listens on loopback
  settings.attempts = 2;
  settings.first_backoff_s = 0.01;
  const EngineClient client(settings);
  CHECK_THROWS_AS(client.post_all("/v1/completions", {Json::object(), Json::object()}, {}), forensics::EngineError);
  CHECK_THROWS_WITH(client.post_all("/v1/completions", {Json::object()}, {}),
                    Catch::Contains("POST /v1/completions failed after 2 attempts") && Catch::Contains("no answer"));
}
