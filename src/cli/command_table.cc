#include "command.h"

namespace forensics::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"investigate", "Run the probes around an incident and write the verdict", define_investigate},
      {"batch", "Investigate every incident of a folder or manifest; check expectations; JUnit for CI", define_batch},
      {"diff", "What changed between two verdicts, or two batch outputs, of the same incidents", define_diff},
      {"validate", "Check an incident file and print its summary", define_validate},
      {"tokenize", "Encode text or decode ids with a model's tokenizer", define_tokenize},
      {"model", "Inspect a model, score a continuation, or sample from it", define_model},
      {"organism", "Make, train, evaluate and capture model organisms with a planted motive", define_organism},
  };
  return commands;
}

}  // namespace forensics::cli
