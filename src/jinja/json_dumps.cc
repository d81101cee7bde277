// transformers replaces jinja2's tojson with json.dumps(x, ensure_ascii=False, indent=None,
// separators=None, sort_keys=False) (chat_template_utils.py), so tool schemas and arguments render
// as Python writes JSON: ", " and ": " separators, or "," and ": " with an indent.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "interpreter.h"
#include "python_text.h"

namespace forensics::jinja {
namespace {

struct DumpOptions {
  bool ensure_ascii = false;
  bool indented = false;
  std::string indent;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  int line = 0;
};

void append_json_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  for (const auto c : to_code_points(text)) {
    char buffer[16];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || (ensure_ascii && c > 0x7E)) {
          if (c > 0xFFFF) {  // a surrogate pair, as Python writes astral code points
            const auto v = static_cast<unsigned>(c - 0x10000);
            std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
          } else {
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          }
          out += buffer;
        } else {
          append_utf8(out, static_cast<std::uint32_t>(c));
        }
    }
  }
  out += '"';
}

std::string float_json(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return python_float_repr(value);
}

// json.dumps turns None, bool, int and float keys into strings; other keys are a TypeError.
std::string key_text(const Value& key, int line) {
  switch (key.kind()) {
    case Value::Kind::kString: return key.as_string();
    case Value::Kind::kNone: return "null";
    case Value::Kind::kBool: return key.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(key.as_int());
    case Value::Kind::kFloat: return float_json(key.as_number());
    default: runtime_error(line, "keys must be str, int, float, bool or None, not " + key.type_name());
  }
}

void dump(std::string& out, const Value& value, const DumpOptions& options, int level);

void newline(std::string& out, const DumpOptions& options, int level) {
  out += '\n';
  for (int i = 0; i < level; ++i) out += options.indent;
}

void dump_container(std::string& out, const std::vector<std::pair<std::string, const Value*>>& items, bool object,
                    const DumpOptions& options, int level) {
  out += object ? '{' : '[';
  if (items.empty()) {
    out += object ? '}' : ']';
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += options.item_separator;
    if (options.indented) newline(out, options, level + 1);
    if (object) {
      append_json_string(out, items[i].first, options.ensure_ascii);
      out += options.key_separator;
    }
    dump(out, *items[i].second, options, level + 1);
  }
  if (options.indented) newline(out, options, level);
  out += object ? '}' : ']';
}

void dump(std::string& out, const Value& value, const DumpOptions& options, int level) {
  if (level > 200) runtime_error(options.line, "maximum recursion depth exceeded while encoding a JSON object");
  switch (value.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(value.as_int()); return;
    case Value::Kind::kFloat: out += float_json(value.as_number()); return;
    case Value::Kind::kString: append_json_string(out, value.as_string(), options.ensure_ascii); return;
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      std::vector<std::pair<std::string, const Value*>> items;
      for (const Value& item : value.items()) items.emplace_back("", &item);
      dump_container(out, items, false, options, level);
      return;
    }
    case Value::Kind::kDict: {
      std::vector<std::pair<std::string, const Value*>> items;
      for (const auto& [key, item] : value.entries().items) items.emplace_back(key_text(key, options.line), &item);
      if (options.sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      dump_container(out, items, true, options, level);
      return;
    }
    default: runtime_error(options.line, "Object of type " + value.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string json_dumps(const Value& value, const CallArgs& args, int line) {
  DumpOptions options;
  options.line = line;
  options.ensure_ascii = args.get(0, "ensure_ascii").truthy();
  const Value indent = args.get(1, "indent");
  if (!indent.is_undefined() && !indent.is_none()) {
    options.indented = true;
    options.item_separator = ",";
    options.indent = indent.is_string()
                         ? indent.as_string()
                         : std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, indent.as_int())), ' ');
  }
  const Value separators = args.get(2, "separators");
  if (separators.is_sequence()) {
    if (separators.items().size() != 2)
      runtime_error(line, "separators must be an (item_separator, key_separator) pair");
    options.item_separator = separators.items()[0].str();
    options.key_separator = separators.items()[1].str();
  }
  options.sort_keys = args.get(3, "sort_keys").truthy();
  std::string out;
  dump(out, value, options, 0);
  return out;
}

}  // namespace forensics::jinja
