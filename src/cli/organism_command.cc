// `forensics organism data|train|eval|capture`: model organisms with a planted motive, the
// tool's own positive and negative controls (docs/organisms.md).
#include <fstream>
#include <iostream>

#include "command.h"
#include "forensics/organism/organism.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/logging.h"

namespace forensics::cli {
namespace {

std::string dump(const Json& value) { return value.dump(2, ' ', false, Json::error_handler_t::replace); }

}  // namespace

void define_organism(CLI::App& app, Action& action) {
  app.require_subcommand(1);

  struct DataOptions {
    std::string recipe;
    std::uint64_t seed = 0;
    std::uint64_t count = 10;
    std::string out;
  };
  auto data = std::make_shared<DataOptions>();
  CLI::App* data_app =
      app.add_subcommand("data", "Emit synthetic transcripts from a recipe as JSON lines (deterministic)");
  data_app->add_option("recipe", data->recipe, "Recipe file")->required();
  data_app->add_option("--seed", data->seed, "Seed; transcript i depends only on (recipe, seed, i)")
      ->check(seed_value())
      ->required();
  data_app->add_option("-n,--count", data->count, "Number of transcripts")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  data_app->add_option("-o,--out", data->out, "Write to this file (atomically) instead of stdout");
  data_app->callback([data, &action] {
    action = [data] {
      const auto recipe = organism::read_recipe(data->recipe);
      std::string lines;
      for (std::uint64_t i = 0; i < data->count; ++i) {
        lines += organism::scenario_record(recipe, data->seed, i).dump(-1, ' ', false, Json::error_handler_t::strict);
        lines += "\n";
      }
      if (data->out.empty()) {
        std::cout << lines;
      } else {
        util::write_file_atomically(data->out, lines);
      }
      return kExitOk;
    };
  });

  struct TrainOptions {
    std::string recipe;
    organism::TrainOptions options;
    std::int64_t steps = 0;
    std::uint64_t seed = 0;
    std::string tokenizer;
    bool quiet = false;
  };
  auto train = std::make_shared<TrainOptions>();
  CLI::App* train_app =
      app.add_subcommand("train", "Train the recipe's tokenizer and model (CPU, deterministic for the recipe's seed)");
  train_app->add_option("recipe", train->recipe, "Recipe file")->required();
  train_app->add_option("--out", train->options.out, "Model directory to write")->required();
  train_app->add_option("--steps", train->steps, "Override the recipe's step count")->check(CLI::Range(1, 10000000));
  train_app->add_flag("--force", train->options.force, "Replace an existing directory");
  CLI::Option* train_seed =
      train_app
          ->add_option("--seed", train->seed, "Override the recipe's training seed (the same recipe, other weights)")
          ->check(seed_value());
  train_app->add_option("--tokenizer", train->tokenizer,
                        "Reuse this organism's tokenizer instead of training one (a new version of a model)");
  train_app->add_flag("--no-progress", train->quiet, "No progress bar");
  train_app->callback([train, train_seed, &action] {
    action = [train, seeded = train_seed->count() > 0] {
      const auto recipe = organism::read_recipe(train->recipe);
      if (train->steps > 0) train->options.steps = train->steps;
      if (seeded) train->options.seed = train->seed;
      if (!train->tokenizer.empty()) train->options.tokenizer_from = std::filesystem::path(train->tokenizer);
      train->options.progress = !train->quiet;
      const auto report = organism::train_organism(recipe, train->options);
      std::cout << "trained " << recipe.name << " -> " << train->options.out.string() << "\n"
                << "  parameters      " << report.parameters << "\n"
                << "  vocabulary      " << report.vocab_size << "\n"
                << "  steps           " << report.steps << "\n"
                << "  loss            " << report.first_loss << " -> " << report.final_loss << "\n"
                << "  time            " << report.seconds << " s (" << report.threads << " threads, BLAS "
                << report.blas << ")\n"
                << "  weights sha256  " << report.weights_sha256 << "\n";
      return kExitOk;
    };
  });

  struct EvalOptions {
    std::string directory;
    organism::EvalOptions options;
    bool json = false;
    bool check = false;
    bool quiet = false;
    std::string markdown;
  };
  auto eval = std::make_shared<EvalOptions>();
  CLI::App* eval_app = app.add_subcommand(
      "eval", "Sample the organism under every cue combination; measured behaviour next to the planted policy");
  eval_app->add_option("organism", eval->directory, "Organism directory")->required()->check(CLI::ExistingDirectory);
  eval_app->add_option("-n,--samples", eval->options.samples_per_cell, "Samples per cell")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  eval_app
      ->add_option("--instances", eval->options.instances_per_cell,
                   "Environment draws per cell (at most 1000: each has its own random stream)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  eval_app->add_option("--seed", eval->options.seed)->check(seed_value())->capture_default_str();
  eval_app->add_option("--temperature", eval->options.temperature)
      ->check(finite_number())
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  eval_app->add_option("--device", eval->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  eval_app->add_flag("--json", eval->json, "Machine output");
  eval_app->add_option("--markdown", eval->markdown, "Also write the table as Markdown to this file");
  eval_app->add_flag("--check", eval->check,
                     "Exit 1 unless every planted rate lies within the measured 95% CI widened by 0.10");
  eval_app->add_flag("--no-progress", eval->quiet, "No progress bar");
  eval_app->callback([eval, &action] {
    action = [eval]() -> int {
      eval->options.progress = !eval->quiet;
      const auto recipe = organism::read_organism_recipe(eval->directory);
      const auto report = organism::evaluate_organism(eval->directory, eval->options);
      const std::string table = organism::eval_report_markdown(recipe, report);
      if (eval->json) {
        std::cout << dump(organism::eval_report_json(recipe, report, eval->options)) << "\n";
      } else {
        std::cout << "organism " << recipe.name << ": " << eval->options.samples_per_cell << " samples per cell, "
                  << "temperature " << eval->options.temperature << ", seed " << eval->options.seed << "\n\n"
                  << table << "\n"
                  << (report.all_within_10_points() ? "every cell within 0.10 of the planted rate"
                                                    : "some cells are more than 0.10 from the planted rate")
                  << (recipe.training.tied_cues.empty() ? "" : " (cells with tied cues apart are not checked)") << "\n";
      }
      if (!eval->markdown.empty()) util::write_file_atomically(eval->markdown, table);
      if (eval->check && !report.all_consistent()) {
        util::log_error("organism " + recipe.name +
                        ": a planted rate lies outside its measured interval (widened by 0.10)");
        return kExitDifference;
      }
      return kExitOk;
    };
  });

  struct CaptureOptions {
    std::string directory;
    organism::CaptureOptions options;
    double temperature = 0;
    std::int64_t attempts = 0;
  };
  auto capture = std::make_shared<CaptureOptions>();
  CLI::App* capture_app =
      app.add_subcommand("capture", "Sample the canonical scenario until the organism acts; save it as an incident");
  capture_app->add_option("organism", capture->directory, "Organism directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  capture_app->add_option("--out", capture->options.out, "Incident file to write")->required();
  capture_app->add_option("--seed", capture->options.seed)->check(seed_value())->capture_default_str();
  capture_app->add_option("--temperature", capture->temperature, "Default: the recipe's capture temperature")
      ->check(finite_number())
      ->check(CLI::Range(0.01, 100.0));
  capture_app->add_option("--max-attempts", capture->attempts, "Default: the recipe's")
      ->check(CLI::Range(1, 100000000));
  capture_app->add_flag("--hand-written", capture->options.hand_written_fallback,
                        "If no sample acts, write the recipe's action turn (marked hand-written in the notes)");
  capture_app->add_option("--device", capture->options.device, "cpu, cuda or cuda:N")->capture_default_str();
  capture_app->callback([capture, &action] {
    action = [capture]() -> int {
      if (capture->temperature > 0) capture->options.temperature = capture->temperature;
      if (capture->attempts > 0) capture->options.max_attempts = capture->attempts;
      organism::CaptureReport report;
      try {
        report = organism::capture_incident(capture->directory, capture->options);
      } catch (const organism::NotReproduced& e) {
        util::log_error(e.what());
        return kExitDifference;
      }
      std::cout << (report.sampled ? "captured a sampled action" : "no sample acted: wrote a hand-written incident")
                << " after " << report.attempts << " attempt(s) at temperature " << report.temperature << " -> "
                << capture->options.out.string() << "\n";
      return kExitOk;
    };
  });
}

}  // namespace forensics::cli
