// Reading the `probes` object: which probes run and their budgets.
#include <set>

#include "forensics/util/json_document.h"
#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace {

constexpr std::int64_t kMaxSamples = 1'000'000;

int read_count(ObjectReader& reader, const char* key, int fallback, std::int64_t min = 1) {
  return static_cast<int>(reader.integer(key, Need::kOptional, min, kMaxSamples).value_or(fallback));
}

SamplingOptions read_sampling(const Json& value, const JsonPath& path,
                              util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  SamplingOptions sampling;
  sampling.temperature = reader.number("temperature", Need::kOptional, 0.0, 100.0)
                             .value_or(sampling.temperature);
  sampling.top_p = reader.number("top_p", Need::kOptional, 1e-9, 1.0).value_or(sampling.top_p);
  sampling.top_k = read_count(reader, "top_k", sampling.top_k, 0);
  sampling.max_new_tokens = read_count(reader, "max_new_tokens", sampling.max_new_tokens);
  if (auto stop = reader.string_list("stop", Need::kOptional)) {
    for (std::size_t i = 0; i < stop->size(); ++i) {
      if ((*stop)[i].empty()) diagnostics.error(path / "stop" / i, "expected a non-empty string");
    }
    sampling.stop = *stop;
  }
  reader.finish();
  return sampling;
}

PatchOptions read_patch(ObjectReader& reader) {
  PatchOptions patch;
  patch.intervention = reader.text("intervention", Need::kRequired).value_or("");
  if (const Json* sites = reader.array("sites", Need::kOptional)) {
    patch.sites.clear();
    std::set<PatchSite> seen;
    for (std::size_t i = 0; i < sites->size(); ++i) {
      const Json& item = (*sites)[i];
      std::optional<PatchSite> site;
      if (item.is_string()) site = kPatchSiteNames.parse(item.get<std::string>());
      if (!site) {
        reader.diagnostics().error(reader.path() / "sites" / i,
                                   "expected " + kPatchSiteNames.choices() + ", got " + item.dump());
      } else if (!seen.insert(*site).second) {
        reader.diagnostics().error(reader.path() / "sites" / i, "site listed twice");
      } else {
        patch.sites.push_back(*site);
      }
    }
    if (sites->empty()) reader.diagnostics().error(reader.path() / "sites", "expected at least one site");
  }
  patch.direction = reader.enumeration("direction", Need::kOptional, kPatchDirectionNames)
                        .value_or(patch.direction);
  patch.metric = reader.enumeration("metric", Need::kOptional, kPatchMetricNames);
  patch.method = reader.enumeration("method", Need::kOptional, kPatchMethodNames).value_or(patch.method);
  return patch;
}

// Each probe's options object; the probe runs because it is listed.
void read_probe(ProbeKind kind, const Json& value, const JsonPath& path, ProbeConfig& config,
                util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  switch (kind) {
    case ProbeKind::kResample:
      config.resample = ResampleOptions{read_count(reader, "samples", ResampleOptions{}.samples)};
      break;
    case ProbeKind::kSentenceResample: {
      SentenceResampleOptions options;
      options.samples_per_side = read_count(reader, "samples_per_side", options.samples_per_side);
      options.max_sentences = read_count(reader, "max_sentences", options.max_sentences, 0);
      config.sentence_resample = options;
      break;
    }
    case ProbeKind::kIntervene: {
      InterveneOptions options;
      options.samples = read_count(reader, "samples", options.samples);
      options.interventions = reader.string_list("interventions", Need::kOptional)
                                  .value_or(std::vector<std::string>{});
      config.intervene = options;
      break;
    }
    case ProbeKind::kAblate:
      config.ablate = AblateOptions{
          reader.enumeration("granularity", Need::kOptional, kAblateGranularityNames)
              .value_or(AblateOptions{}.granularity)};
      break;
    case ProbeKind::kSweep:
      config.sweep = SweepOptions{read_count(reader, "samples", SweepOptions{}.samples)};
      break;
    case ProbeKind::kPatch:
      config.patch = read_patch(reader);
      break;
  }
  reader.finish();
}

}  // namespace

ProbeConfig read_probes(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  ProbeConfig config;
  if (!value.is_object()) {
    diagnostics.error(path, "expected object, got " + util::json_type_name(value));
    return config;
  }
  config.listed = true;
  config.resample.reset();
  config.sentence_resample.reset();
  config.intervene.reset();
  config.ablate.reset();
  config.sweep.reset();
  config.patch.reset();
  for (const auto& [key, options] : value.items()) {
    if (key == "sampling") {
      config.sampling = read_sampling(options, path / key, diagnostics);
      continue;
    }
    auto kind = kProbeKindNames.parse(key);
    if (!kind) {
      diagnostics.error(path / key, "unknown probe; expected \"sampling\" or a probe: " +
                                        kProbeKindNames.choices());
      continue;
    }
    read_probe(*kind, options, path / key, config, diagnostics);
  }
  if (config.enabled().empty()) {
    diagnostics.error(path, "lists no probe; expected at least one of " +
                                kProbeKindNames.choices());
  }
  return config;
}

}  // namespace forensics::incident::detail
