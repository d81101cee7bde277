// runtime: samples to and from JSON (sample_json.h).
#include "forensics/runtime/sample_json.h"

#include <cmath>
#include <limits>

namespace forensics::runtime {

Json sample_to_json(const Sample& sample) {
  return Json{{"tokens", sample.tokens}, {"finish", std::string(kFinishReasonNames.name(sample.finish))}};
}

Json sampling_params_json(const SamplingParams& params) {
  return Json{{"temperature", params.temperature},
              {"top_p", params.top_p},
              {"top_k", params.top_k},
              {"max_new_tokens", params.max_new_tokens},
              {"eos_token_ids", params.eos_token_ids},
              {"stop_strings", params.stop_strings}};
}

std::optional<Sample> sample_from_json(const Json& value) {
  if (!value.is_object() || !value.contains("tokens") || !value["tokens"].is_array() || !value.contains("finish") ||
      !value["finish"].is_string()) {
    return std::nullopt;
  }
  const auto finish = kFinishReasonNames.parse(value["finish"].get<std::string>());
  if (!finish) return std::nullopt;
  Sample out;
  out.finish = *finish;
  for (const auto& id : value["tokens"]) {
    if (!id.is_number_integer()) return std::nullopt;
    out.tokens.push_back(id.get<std::int64_t>());
  }
  return out;
}

Json numbers_to_json(const std::vector<double>& numbers) {
  Json out = Json::array();
  for (const double number : numbers) {
    if (std::isnan(number)) {
      out.push_back("nan");
    } else if (std::isinf(number)) {
      out.push_back(number > 0 ? "inf" : "-inf");
    } else {
      out.push_back(number);
    }
  }
  return out;
}

std::optional<std::vector<double>> numbers_from_json(const Json& value) {
  if (!value.is_array()) return std::nullopt;
  std::vector<double> out;
  out.reserve(value.size());
  for (const auto& item : value) {
    if (item.is_number()) {
      out.push_back(item.get<double>());
    } else if (item == "nan") {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (item == "inf" || item == "-inf") {
      out.push_back(item == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity());
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace forensics::runtime
