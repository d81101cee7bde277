#include "forensics/util/json_reader.h"

#include <cmath>

#include "forensics/util/json_document.h"
#include "forensics/util/text.h"

namespace forensics::util {

ObjectReader::ObjectReader(const Json& value, JsonPath path, Diagnostics& diagnostics)
    : path_(std::move(path)), diagnostics_(diagnostics) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    diagnostics_.error(path_, "expected object, got " + json_type_name(value));
  }
}

bool ObjectReader::has(std::string_view key) {
  known_.insert(std::string(key));
  return object_ != nullptr && object_->contains(key);
}

const Json* ObjectReader::lookup(std::string_view key, Need need, const char* expected) {
  known_.insert(std::string(key));
  if (object_ == nullptr) return nullptr;
  const auto it = object_->find(key);
  if (it == object_->end()) {
    if (need == Need::kRequired) {
      diagnostics_.error(path_ / key, std::string("missing required field (expected ") + expected + ")");
    }
    return nullptr;
  }
  return &*it;
}

void ObjectReader::type_error(std::string_view key, const char* expected, const Json& got) {
  diagnostics_.error(path_ / key, std::string("expected ") + expected + ", got " + json_type_name(got));
}

std::optional<std::string> ObjectReader::string(std::string_view key, Need need) {
  const Json* value = lookup(key, need, "string");
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    type_error(key, "string", *value);
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::string> ObjectReader::text(std::string_view key, Need need) {
  auto value = string(key, need);
  if (value && value->empty()) {
    diagnostics_.error(path_ / key, "expected a non-empty string");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, Need need, std::int64_t min, std::int64_t max) {
  const Json* value = lookup(key, need, "integer");
  if (value == nullptr) return std::nullopt;
  std::int64_t result = 0;
  if (value->is_number_unsigned()) {
    const auto raw = value->get<std::uint64_t>();
    if (raw > static_cast<std::uint64_t>(max)) {
      diagnostics_.error(path_ / key, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                                          "], got " + value->dump());
      return std::nullopt;
    }
    result = static_cast<std::int64_t>(raw);
  } else if (value->is_number_integer()) {
    result = value->get<std::int64_t>();
  } else {
    type_error(key, "integer", *value);
    return std::nullopt;
  }
  if (result < min || result > max) {
    diagnostics_.error(path_ / key, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                                        "], got " + std::to_string(result));
    return std::nullopt;
  }
  return result;
}

std::optional<double> ObjectReader::number(std::string_view key, Need need, double min, double max) {
  const Json* value = lookup(key, need, "number");
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    type_error(key, "number", *value);
    return std::nullopt;
  }
  const double result = value->get<double>();
  if (!std::isfinite(result) || result < min || result > max) {
    diagnostics_.error(
        path_ / key, "expected a number in [" + Json(min).dump() + ", " + Json(max).dump() + "], got " + value->dump());
    return std::nullopt;
  }
  return result;
}

std::optional<bool> ObjectReader::boolean(std::string_view key, Need need) {
  const Json* value = lookup(key, need, "boolean");
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    type_error(key, "boolean", *value);
    return std::nullopt;
  }
  return value->get<bool>();
}

const Json* ObjectReader::object(std::string_view key, Need need) {
  const Json* value = lookup(key, need, "object");
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    type_error(key, "object", *value);
    return nullptr;
  }
  return value;
}

const Json* ObjectReader::array(std::string_view key, Need need) {
  const Json* value = lookup(key, need, "array");
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    type_error(key, "array", *value);
    return nullptr;
  }
  return value;
}

const Json* ObjectReader::any(std::string_view key, Need need, const char* expected) {
  return lookup(key, need, expected);
}

std::optional<std::vector<std::string>> ObjectReader::string_list(std::string_view key, Need need) {
  const Json* list = array(key, need);
  if (list == nullptr) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    if (!item.is_string()) {
      diagnostics_.error(path_ / key / i, "expected string, got " + json_type_name(item));
      ok = false;
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  if (!ok) return std::nullopt;
  return out;
}

void ObjectReader::finish() {
  if (object_ == nullptr) return;
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : object_->items()) {
    if (known_.count(key) > 0) continue;
    std::string message = "unknown field";
    if (auto suggestion = closest_match(key, known)) {
      message += " (did you mean \"" + *suggestion + "\"?)";
    } else {
      std::string list;
      for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
      message += "; allowed here: " + list;
    }
    diagnostics_.error(path_ / key, message);
  }
}

}  // namespace forensics::util
