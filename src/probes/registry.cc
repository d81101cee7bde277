// probes: the one registry table. A probe is one file (src/probes/<probe>.cc) that defines its
// options, result, run function and descriptor; the table lists it here, in pipeline order: the
// order probes run in and appear in a verdict.
#include <algorithm>

#include "forensics/probes/probe.h"

namespace forensics::probes {

const ProbeDescriptor& resample_probe();
const ProbeDescriptor& sentence_resample_probe();
const ProbeDescriptor& intervene_probe();
const ProbeDescriptor& ablate_probe();
const ProbeDescriptor& sweep_probe();
const ProbeDescriptor& patch_probe();

const std::vector<const ProbeDescriptor*>& probe_table() {
  static const std::vector<const ProbeDescriptor*> table = {
      &resample_probe(), &sentence_resample_probe(), &intervene_probe(), &ablate_probe(), &sweep_probe(),
      &patch_probe(),
  };
  return table;
}

const ProbeDescriptor* find_probe(std::string_view name) {
  const auto& table = probe_table();
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const ProbeDescriptor* p) { return p->name == name; });
  return found == table.end() ? nullptr : *found;
}

std::string probe_choices() {
  const auto& table = probe_table();
  std::string out;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) out += (i + 1 == table.size()) ? " or " : ", ";
    out += "\"" + std::string(table[i]->name) + "\"";
  }
  return out;
}

}  // namespace forensics::probes
