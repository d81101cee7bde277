// `forensics tokenize`: run a model's tokenizer on text, or decode ids, as the model sees them.
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"
#include "forensics/util/json_document.h"

namespace forensics::cli {
namespace {

struct TokenizeOptions {
  std::string tokenizer;
  std::string text;
  std::string file;
  std::string decode;
  bool each_line = false;
  bool no_special = false;
  bool skip_special = false;
  bool json = false;
};

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::vector<std::uint32_t> parse_ids(const std::string& text) {
  std::vector<std::uint32_t> ids;
  std::string cleaned = text;
  for (char& c : cleaned) {
    if (c == ',' || c == '[' || c == ']') c = ' ';
  }
  std::istringstream in(cleaned);
  std::string word;
  while (in >> word) {
    const bool digits = word.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || word.size() > 10 || std::stoull(word) > 0xFFFFFFFFull) {
      throw InputError("--decode: \"" + word + "\" is not a token id (a non-negative integer)");
    }
    ids.push_back(static_cast<std::uint32_t>(std::stoull(word)));
  }
  return ids;
}

Json encoding_json(const runtime::Tokenizer& tokenizer, const runtime::Encoding& encoding) {
  Json offsets = Json::array();
  for (const auto& [begin, end] : encoding.offsets) offsets.push_back({begin, end});
  return {{"ids", encoding.ids},
          {"tokens", encoding.tokens},
          {"offsets", offsets},
          {"decoded", tokenizer.decode(encoding.ids, false)}};
}

void print_table(std::string_view text, const runtime::Encoding& encoding) {
  std::cout << encoding.ids.size() << " tokens\n";
  for (std::size_t i = 0; i < encoding.ids.size(); ++i) {
    const auto [begin, end] = encoding.offsets[i];
    std::cout << "  " << i << "\t" << encoding.ids[i] << "\t" << dump(Json(encoding.tokens[i])) << "\t" << begin << ":"
              << end << "\t" << dump(Json(std::string(text.substr(begin, end - begin)))) << "\n";
  }
}

int run_tokenize(const TokenizeOptions& options) {
  const auto tokenizer = runtime::Tokenizer::from_path(options.tokenizer);
  const bool add_special = !options.no_special;
  if (!options.decode.empty()) {
    const auto ids = parse_ids(options.decode);
    for (const auto id : ids) {  // decode() skips unknown ids silently: an empty answer would look valid
      if (!tokenizer.id_to_token(id)) {
        throw InputError("--decode: " + std::to_string(id) + " is not an id of this tokenizer (its vocabulary has " +
                         std::to_string(tokenizer.vocab_size()) + " tokens)");
      }
    }
    const std::string text = tokenizer.decode(ids, options.skip_special);
    if (options.json) {
      std::cout << dump(Json{{"decoded", text}}) << "\n";
    } else {
      std::cout << text << "\n";
    }
    return kExitOk;
  }
  std::string text = options.text;
  if (!options.file.empty()) text = util::read_text_file(options.file, std::size_t(1) << 30);
  if (!options.each_line) {
    const auto encoding = tokenizer.encode(text, add_special);
    if (options.json) {
      Json out = encoding_json(tokenizer, encoding);
      out["fingerprint"] = tokenizer.fingerprint();
      std::cout << dump(out) << "\n";
    } else {
      print_table(text, encoding);
    }
    return kExitOk;
  }
  // One encoding per line (split on "\n" only, so "\r" stays in the line), as JSON Lines.
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto newline = text.find('\n', start);
    if (newline == std::string::npos && start == text.size()) break;
    const std::size_t end = newline == std::string::npos ? text.size() : newline;
    const std::string_view line = std::string_view(text).substr(start, end - start);
    ++line_number;
    runtime::Encoding encoding;
    try {
      encoding = tokenizer.encode(line, add_special);
    } catch (const InputError& e) {
      throw InputError(options.file + ":" + std::to_string(line_number) + ": " + e.what());
    }
    if (options.json) {
      std::cout << dump(encoding_json(tokenizer, encoding)) << "\n";
    } else {
      for (std::size_t i = 0; i < encoding.ids.size(); ++i) {
        std::cout << (i ? " " : "") << encoding.ids[i];
      }
      std::cout << "\n";
    }
    start = end + 1;
  }
  return kExitOk;
}

}  // namespace

void define_tokenize(CLI::App& app, Action& action) {
  auto options = std::make_shared<TokenizeOptions>();
  app.add_option("tokenizer", options->tokenizer, "Model directory (with tokenizer.json) or a tokenizer.json file")
      ->required();
  auto* text = app.add_option("--text", options->text, "Text to encode");
  auto* file = app.add_option("--file", options->file, "Encode this file's contents");
  auto* decode = app.add_option("--decode", options->decode, "Decode ids (\"1,2,3\" or \"1 2 3\")");
  text->excludes(file)->excludes(decode);
  file->excludes(decode);
  app.add_flag("--each-line", options->each_line, "With --file: encode every line separately (JSON Lines with --json)")
      ->needs(file);
  app.add_flag("--no-special", options->no_special, "Do not add the tokenizer's special tokens (BOS/EOS templates)");
  app.add_flag("--skip-special", options->skip_special, "With --decode: drop special tokens");
  app.add_flag("--json", options->json, "Machine output: ids, tokens, byte offsets, decoded text");
  app.footer(
      "Exit codes: 0 ok, 2 usage, 3 bad input text (e.g. invalid UTF-8, with its byte\n"
      "offset), 4 unreadable or unsupported tokenizer.json (naming the component).");
  app.callback([options, &action, text, file, decode] {
    if (text->count() + file->count() + decode->count() == 0) {
      throw CLI::RequiredError("one of --text, --file or --decode");
    }
    action = [options] { return run_tokenize(*options); };
  });
}

}  // namespace forensics::cli
