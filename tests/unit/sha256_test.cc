#include <catch2/catch.hpp>

#include "forensics/util/sha256.h"

using forensics::util::Sha256;
using forensics::util::sha256_hex;

TEST_CASE("sha256 matches the FIPS 180-4 test vectors", "[util]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256 gives the same digest however the input is split", "[util]") {
  const std::string text(1000, 'x');
  Sha256 pieces;
  for (std::size_t i = 0; i < text.size(); i += 7) pieces.update(text.substr(i, 7));
  CHECK(pieces.hex_digest() == sha256_hex(text));
}
