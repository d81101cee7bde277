// organism: a small deterministic random number generator for synthetic data. The standard
// library's distributions are implementation-defined, so data made with them could differ between
// standard libraries; these draws are specified here bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace forensics::organism {

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, passes BigCrush; enough
/// for sampling templates, and trivially reproducible.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool bernoulli(double p) { return uniform() < p; }
  /// Uniform in [0, n), n > 0, by rejection so every value is equally likely.
  std::size_t below(std::size_t n) {
    const std::uint64_t bound = static_cast<std::uint64_t>(n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t x;
    do {
      x = next();
    } while (x >= limit);
    return static_cast<std::size_t>(x % bound);
  }
  /// Uniform in [low, high].
  std::size_t between(std::size_t low, std::size_t high) { return low + below(high - low + 1); }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }
  /// An independent stream for item `index` of a run seeded with `seed`: item i's draws do not
  /// depend on how many draws earlier items made.
  static Rng stream(std::uint64_t seed, std::uint64_t index) {
    Rng mixer(seed ^ (index * 0xD1B54A32D192ED03ULL));
    return Rng(mixer.next());
  }

 private:
  std::uint64_t state_;
};

}  // namespace forensics::organism
