// util: the one JSON type of the project. Insertion-ordered, because key order is data here:
// chat templates render tool-call arguments in the order the model wrote them, and outputs read
// better in the order they were written.
#pragma once

#include <nlohmann/json.hpp>

namespace forensics {

using Json = nlohmann::ordered_json;

}  // namespace forensics
