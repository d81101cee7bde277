// Compiled (not run) by the test suite: as written it must build; with one of the macros below
// defined it must not, with the message that says why (tests/unit/CMakeLists.txt).
#include "forensics/util/name_table.h"

enum class Colour { kRed, kGreen, kBlue };

inline constexpr forensics::util::NameTable kColourNames{std::array{
    forensics::util::NameEntry<Colour>{Colour::kRed, "red"},
#if defined(FORENSICS_SWAPPED_ROWS)
    forensics::util::NameEntry<Colour>{Colour::kBlue, "blue"},
    forensics::util::NameEntry<Colour>{Colour::kGreen, "green"},
#elif defined(FORENSICS_REPEATED_NAME)
    forensics::util::NameEntry<Colour>{Colour::kGreen, "red"},
    forensics::util::NameEntry<Colour>{Colour::kBlue, "blue"},
#elif defined(FORENSICS_MISSING_ROW)
    forensics::util::NameEntry<Colour>{Colour::kGreen, "green"},
#else
    forensics::util::NameEntry<Colour>{Colour::kGreen, "green"},
    forensics::util::NameEntry<Colour>{Colour::kBlue, "blue"},
#endif
}};

static_assert(kColourNames.name(Colour::kBlue).size() > 0);

int main() { return 0; }
