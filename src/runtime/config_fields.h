// runtime (internal): typed access to config.json's fields, each failure naming the field and
// the file (`config.json: num_hidden_layers must be positive, got 0`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::runtime {

class ConfigFields {
 public:
  ConfigFields(const Json& config, std::string source) : config_(config), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& message) const { throw ModelError(source_ + ": " + message); }

  bool has(const char* key) const { return config_.contains(key) && !config_.at(key).is_null(); }

  std::int64_t positive(const char* key) const {
    if (!has(key)) fail(std::string("missing \"") + key + "\"");
    const Json& value = config_.at(key);
    if (!value.is_number_integer()) fail(std::string(key) + " must be an integer, got " + value.dump());
    const auto number = value.get<std::int64_t>();
    if (number <= 0) fail(std::string(key) + " must be positive, got " + std::to_string(number));
    return number;
  }
  std::int64_t positive_or(const char* key, std::int64_t fallback) const { return has(key) ? positive(key) : fallback; }
  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const Json& value = config_.at(key);
    if (!value.is_number()) fail(std::string(key) + " must be a number, got " + value.dump());
    return value.get<double>();
  }
  bool flag_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const Json& value = config_.at(key);
    if (!value.is_boolean()) fail(std::string(key) + " must be true or false, got " + value.dump());
    return value.get<bool>();
  }
  std::vector<std::int64_t> ids(const char* key) const {
    if (!has(key)) return {};
    const Json& value = config_.at(key);
    if (value.is_number_integer()) return {value.get<std::int64_t>()};
    std::vector<std::int64_t> out;
    if (value.is_array()) {
      for (const auto& id : value) {
        if (!id.is_number_integer()) fail(std::string(key) + " must be an id or a list of ids");
        out.push_back(id.get<std::int64_t>());
      }
      return out;
    }
    fail(std::string(key) + " must be an id or a list of ids");
  }
  std::vector<double> numbers(const char* key) const {
    std::vector<double> out;
    if (!has(key)) return out;
    const Json& value = config_.at(key);
    if (!value.is_array()) fail(std::string(key) + " must be a list of numbers");
    for (const auto& item : value) {
      if (!item.is_number()) fail(std::string(key) + " must be a list of numbers, got " + item.dump());
      out.push_back(item.get<double>());
    }
    return out;
  }
  std::string text_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const Json& value = config_.at(key);
    return value.is_string() ? value.get<std::string>() : value.dump();
  }
  const Json& json() const { return config_; }

 private:
  const Json& config_;
  std::string source_;
};

}  // namespace forensics::runtime
