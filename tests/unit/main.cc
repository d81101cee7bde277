// The Catch2 runner of the unit tests; kept alone so the heavy main compiles once.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
