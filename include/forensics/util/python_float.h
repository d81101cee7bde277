// util: floats written as Python writes them, which transformers' chat templates (tojson) and
// their parity tests depend on to the byte.
#pragma once

#include <string>

namespace forensics::util {

/// Python's repr of a float: the shortest digits that read back the same ("0.1", "1e-05",
/// "1e+16", "2.0"); "nan", "inf", "-inf" for the non-finite.
std::string python_float_repr(double value);

}  // namespace forensics::util
