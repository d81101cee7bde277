// Tokenizer throughput: encodes every line of a corpus, single thread, after one warm-up pass.
// Prints one JSON object; scripts/bench_tokenizer.py runs it next to the reference library.
//   usage: forensics_tokenizer_bench TOKENIZER_JSON CORPUS [REPEATS]
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"
#include "forensics/util/json_document.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: forensics_tokenizer_bench TOKENIZER_JSON CORPUS [REPEATS]\n";
    return 2;
  }
  try {
    const auto tokenizer = forensics::runtime::Tokenizer::from_path(argv[1]);
    const std::string text = forensics::util::read_text_file(argv[2], std::size_t(1) << 30);
    const int repeats = argc > 3 ? std::stoi(argv[3]) : 5;
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < text.size();) {
      const auto end = std::min(text.find('\n', start), text.size());
      lines.push_back(std::string_view(text).substr(start, end - start));
      start = end + 1;
    }
    std::size_t tokens = 0;
    for (auto line : lines) tokens += tokenizer.encode(line, true).ids.size();  // warm-up
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
      const auto begin = std::chrono::steady_clock::now();
      for (auto line : lines) tokenizer.encode(line, true);
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin;
      best = std::min(best, elapsed.count());
    }
    forensics::Json out = {
        {"lines", lines.size()}, {"bytes", text.size()}, {"tokens", tokens}, {"seconds", best}, {"repeats", repeats}};
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "forensics_tokenizer_bench: " << e.what() << "\n";
    return 4;
  }
}
