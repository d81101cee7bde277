#include <catch2/catch.hpp>

#include <set>

#include "forensics/incident/incident.h"

using namespace forensics::incident;

namespace {

// Every row round-trips and spellings are unique and lowercase.
template <class Table>
void check_table(const Table& table) {
  std::set<std::string_view> names;
  for (const auto& entry : table.entries()) {
    CHECK(table.name(entry.value) == entry.name);
    CHECK(table.parse(entry.name) == entry.value);
    CHECK(names.insert(entry.name).second);
    for (char c : entry.name) CHECK_FALSE((c >= 'A' && c <= 'Z'));
  }
  CHECK_FALSE(table.parse("no-such-name"));
}

}  // namespace

TEST_CASE("every enum that reaches JSON has one consistent name table", "[incident]") {
  check_table(kRoleNames);
  check_table(kMessageFieldNames);
  check_table(kChatTemplateNames);
  check_table(kComputeDtypeNames);
  check_table(kHypothesisKindNames);
  check_table(kDirectionNames);
  check_table(kEditOpNames);
  check_table(kMatcherKindNames);
  check_table(kProbeKindNames);
  check_table(kAblateGranularityNames);
  check_table(kPatchSiteNames);
  check_table(kPatchDirectionNames);
}

TEST_CASE("choices lists every spelling for error messages", "[incident]") {
  CHECK(kDirectionNames.choices() == "\"decrease\", \"increase\" or \"no-change\"");
}
