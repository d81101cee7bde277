// A tokenizer.json, then a few strings encoded and decoded with it.
#include "forensics/runtime/tokenizer.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one([&] {
    const auto tokenizer = forensics::runtime::Tokenizer::from_json(fuzz_text(data, size), "", "tokenizer.json");
    for (const char* text :
         {"Hello, world!", " <|im_start|>user\n rm -f config/oversight.yaml", "\xC3\xA9t\xC3\xA9 42"}) {
      tokenizer.decode_model_ids(tokenizer.model_ids(text));
    }
  });
}
