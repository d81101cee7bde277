// Name tables: completeness, order and distinct names are checked when a table compiles
// (util/name_table.h; tests/unit/name_table_compile.cc proves a missing row does not build).
// Here: every row round-trips and parse rejects what no row spells.
#include <catch2/catch.hpp>

#include "forensics/incident/incident.h"
#include "forensics/runtime/sampling.h"
#include "forensics/verdict/verdict.h"

using namespace forensics;

namespace {

template <class Table>
void check_round_trip(const Table& table) {
  for (const auto& entry : table.entries()) {
    CHECK(table.name(entry.value) == entry.name);
    CHECK(table.parse(entry.name) == entry.value);
  }
  CHECK_FALSE(table.parse("no-such-name"));
  CHECK_FALSE(table.parse(""));
}

}  // namespace

TEST_CASE("every row of a name table round-trips between value and spelling", "[util]") {
  check_round_trip(incident::kRoleNames);
  check_round_trip(incident::kChatTemplateNames);
  check_round_trip(incident::kHypothesisKindNames);
  check_round_trip(incident::kDirectionNames);
  check_round_trip(runtime::kDtypeNames);
  check_round_trip(runtime::kFinishReasonNames);
  check_round_trip(verdict::kLabelNames);
  check_round_trip(verdict::kReasonNames);
  check_round_trip(verdict::kFlagNames);
}

TEST_CASE("choices lists every spelling for error messages", "[util]") {
  CHECK(incident::kDirectionNames.choices() == "\"decrease\", \"increase\" or \"no-change\"");
}
