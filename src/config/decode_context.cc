#include "config/decode_context.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include "config/validators.h"

namespace portcullis::config::internal {

DecodeContext::DecodeContext(TextOrigin origin, std::vector<Diagnostic>& out)
    : origin_(std::move(origin)), out_(out) {
  fallback_.file = origin_.file;
}

SourceLocation DecodeContext::locate(const YAML::Node& node) const {
  return locate(node.Mark());
}

SourceLocation DecodeContext::locate(const YAML::Mark& mark) const {
  if (mark.line < 0) {
    return fallback_;
  }
  return SourceLocation{origin_.file, origin_.first_line + mark.line + 1,
                        origin_.column_offset + mark.column + 1};
}

void DecodeContext::error(const YAML::Node& at, std::string field, std::string message) {
  report(Diagnostic::Severity::Error, locate(at), std::move(field), std::move(message));
}

void DecodeContext::warning(const YAML::Node& at, std::string field, std::string message) {
  report(Diagnostic::Severity::Warning, locate(at), std::move(field), std::move(message));
}

void DecodeContext::info(const YAML::Node& at, std::string field, std::string message) {
  report(Diagnostic::Severity::Info, locate(at), std::move(field), std::move(message));
}

void DecodeContext::report(Diagnostic::Severity severity, SourceLocation location,
                           std::string field, std::string message) {
  if (severity == Diagnostic::Severity::Error) {
    ++errors_;
  }
  out_.push_back(
      Diagnostic{severity, std::move(location), object_, std::move(field), std::move(message)});
}

namespace {

bool isDigitIn(char c, int base) {
  if (base == 16) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  }
  return c >= '0' && c < static_cast<char>('0' + base);
}

// Returns the base of an integer scalar and its digits without sign, prefix or '_'. The forms
// are the YAML 1.1 ones go-yaml accepts: decimal, 0x hex, 0o or leading-zero octal, 0b binary.
// Returns 0 when `text` is not an integer.
int integerBase(std::string_view text, std::string* digits) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.starts_with("0o")) {
    base = 8;
    text.remove_prefix(2);
  } else if (text.starts_with("0b")) {
    base = 2;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text.front() == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  std::string cleaned;
  for (char c : text) {
    if (c == '_') {
      continue;
    }
    if (!isDigitIn(c, base)) {
      return 0;
    }
    cleaned += c;
  }
  if (cleaned.empty()) {
    return 0;
  }
  if (digits != nullptr) {
    *digits = cleaned;
  }
  return base;
}

bool looksLikeFloat(std::string_view text) {
  for (std::string_view special : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                                   "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}) {
    if (text == special) {
      return true;
    }
  }
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    text.remove_prefix(1);
  }
  size_t i = 0;
  size_t digits = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    digits += text[i] != '_';
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
      digits += text[i] != '_';
      ++i;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    size_t exponent_start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    if (i == exponent_start) {
      return false;
    }
  }
  return i == text.size();
}

ScalarType resolvePlain(std::string_view text) {
  for (std::string_view null_form : {"", "~", "null", "Null", "NULL"}) {
    if (text == null_form) {
      return ScalarType::Null;
    }
  }
  for (std::string_view bool_form :
       {"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF"}) {
    if (text == bool_form) {
      return ScalarType::Bool;
    }
  }
  if (integerBase(text, nullptr) != 0) {
    return ScalarType::Int;
  }
  if (looksLikeFloat(text)) {
    return ScalarType::Float;
  }
  return ScalarType::String;
}

// Parses an integer scalar in any form integerBase() accepts.
bool parseInteger(std::string_view text, int64_t& out) {
  std::string digits;
  int base = integerBase(text, &digits);
  if (base == 0) {
    return false;
  }
  bool negative = text.starts_with("-");
  errno = 0;
  unsigned long long magnitude = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) {
    return false;
  }
  constexpr unsigned long long kMax = std::numeric_limits<int64_t>::max();
  if (magnitude > kMax + (negative ? 1ULL : 0ULL)) {
    return false;
  }
  out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool parseDecimalString(std::string_view text, int64_t& out) {
  std::string_view digits = text;
  if (digits.starts_with("-")) {
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  out = std::stoll(std::string(text));
  return true;
}

bool boolValue(std::string_view text) {
  for (std::string_view yes : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}) {
    if (text == yes) {
      return true;
    }
  }
  return false;
}

}  // namespace

ScalarType scalarType(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    return ScalarType::Null;
  }
  if (!node.IsScalar()) {
    return ScalarType::NotScalar;
  }
  const std::string& tag = node.Tag();
  if (tag == "!") {
    return ScalarType::String;  // quoted
  }
  if (tag == "tag:yaml.org,2002:str") {
    return ScalarType::String;
  }
  if (tag == "tag:yaml.org,2002:int") {
    return ScalarType::Int;
  }
  if (tag == "tag:yaml.org,2002:float") {
    return ScalarType::Float;
  }
  if (tag == "tag:yaml.org,2002:bool") {
    return ScalarType::Bool;
  }
  if (tag == "tag:yaml.org,2002:null") {
    return ScalarType::Null;
  }
  if (tag == "?" || tag.empty()) {
    return resolvePlain(node.Scalar());
  }
  return ScalarType::String;
}

bool isAbsent(const YAML::Node& node) {
  return scalarType(node) == ScalarType::Null;
}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string describeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    return "null";
  }
  if (node.IsMap()) {
    return "a map";
  }
  if (node.IsSequence()) {
    return "a list";
  }
  switch (scalarType(node)) {
    case ScalarType::Null:
      return "null";
    case ScalarType::Bool:
      return "the boolean " + node.Scalar();
    case ScalarType::Int:
      return "the integer " + node.Scalar();
    case ScalarType::Float:
      return "the number " + node.Scalar();
    case ScalarType::String:
      return "the string " + quote(node.Scalar());
    case ScalarType::NotScalar:
      break;
  }
  return "a value";
}

YAML::Node lookup(const YAML::Node& map, std::string_view key) {
  if (!map.IsDefined() || !map.IsMap()) {
    return YAML::Node();
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      return it->second;
    }
  }
  return YAML::Node();
}

YAML::Node lookupKey(const YAML::Node& map, std::string_view key) {
  if (!map.IsDefined() || !map.IsMap()) {
    return YAML::Node();
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      return it->first;
    }
  }
  return YAML::Node();
}

std::string joinPath(const std::string& path, std::string_view key) {
  if (path.empty()) {
    return std::string(key);
  }
  return path + "." + std::string(key);
}

std::string indexPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

bool readString(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                std::string& out) {
  ScalarType type = scalarType(node);
  if (type == ScalarType::Null) {
    return true;
  }
  if (type != ScalarType::String) {
    std::string hint;
    if (type != ScalarType::NotScalar) {
      hint = "; quote it to make it a string";
    }
    ctx.error(node, path, "expected a string, found " + describeNode(node) + hint);
    return false;
  }
  out = node.Scalar();
  return true;
}

bool readBool(DecodeContext& ctx, const YAML::Node& node, const std::string& path, bool& out) {
  ScalarType type = scalarType(node);
  if (type == ScalarType::Null) {
    return true;
  }
  if (type != ScalarType::Bool) {
    ctx.error(node, path, "expected true or false, found " + describeNode(node));
    return false;
  }
  out = boolValue(node.Scalar());
  return true;
}

bool readInteger(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                 int64_t minimum, int64_t maximum, int64_t& out) {
  ScalarType type = scalarType(node);
  if (type == ScalarType::Null) {
    return true;
  }
  int64_t value = 0;
  bool parsed = false;
  if (type == ScalarType::Int) {
    parsed = parseInteger(node.Scalar(), value);
  } else if (type == ScalarType::String && ctx.integers_as_strings) {
    parsed = parseDecimalString(node.Scalar(), value);
  }
  if (!parsed) {
    ctx.error(node, path, "expected an integer, found " + describeNode(node));
    return false;
  }
  if (value < minimum || value > maximum) {
    ctx.error(node, path,
              "value " + node.Scalar() + " is out of range; use " + std::to_string(minimum) + "-" +
                  std::to_string(maximum));
    return false;
  }
  out = value;
  return true;
}

bool readUint32(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                uint32_t minimum, uint32_t maximum, uint32_t& out) {
  int64_t value = 0;
  if (!readInteger(ctx, node, path, minimum, maximum, value)) {
    return false;
  }
  if (!isAbsent(node)) {
    out = static_cast<uint32_t>(value);
  }
  return true;
}

bool expectList(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined() || node.IsNull()) {
    return false;
  }
  if (!node.IsSequence()) {
    ctx.error(node, path, "expected a list, found " + describeNode(node));
    return false;
  }
  return true;
}

bool readStringList(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                    std::vector<std::string>& out) {
  if (!expectList(ctx, node, path)) {
    return !node.IsDefined() || node.IsNull();
  }
  bool ok = true;
  std::vector<std::string> values;
  for (size_t i = 0; i < node.size(); ++i) {
    YAML::Node item = node[i];
    if (item.IsNull()) {
      ctx.error(item, indexPath(path, i), "expected a string, found null");
      ok = false;
      continue;
    }
    std::string value;
    if (readString(ctx, item, indexPath(path, i), value)) {
      values.push_back(std::move(value));
    } else {
      ok = false;
    }
  }
  out = std::move(values);
  return ok;
}

bool readStringMap(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                   Labels& out) {
  if (!node.IsDefined() || node.IsNull()) {
    return true;
  }
  if (!node.IsMap()) {
    ctx.error(node, path, "expected a map of strings, found " + describeNode(node));
    return false;
  }
  bool ok = true;
  Labels values;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      ctx.error(it->first, path, "map keys must be strings, found " + describeNode(it->first));
      ok = false;
      continue;
    }
    const std::string& key = it->first.Scalar();
    std::string entry_path = path + "[" + key + "]";
    if (values.count(key) != 0) {
      ctx.error(it->first, entry_path, "duplicate key " + quote(key));
      ok = false;
      continue;
    }
    if (it->second.IsNull()) {
      ctx.error(it->second, entry_path, "expected a string, found null");
      ok = false;
      continue;
    }
    std::string value;
    if (!readString(ctx, it->second, entry_path, value)) {
      ok = false;
      continue;
    }
    values.emplace(key, std::move(value));
  }
  out = std::move(values);
  return ok;
}

bool readDuration(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                  std::chrono::milliseconds& out) {
  if (isAbsent(node)) {
    return true;
  }
  if (scalarType(node) != ScalarType::String) {
    ctx.error(node, path,
              "expected a duration such as \"5s\" or \"100ms\", found " + describeNode(node));
    return false;
  }
  std::string text = node.Scalar();
  std::optional<int64_t> nanoseconds = parseGoDuration(text);
  if (!nanoseconds) {
    ctx.error(node, path,
              "invalid duration " + quote(text) +
                  "; use a number with a unit, such as 5s, 1.5s, 100ms, 1m or 1h");
    return false;
  }
  constexpr int64_t kMillisecond = 1000000;
  if (*nanoseconds < kMillisecond) {
    ctx.error(node, path, "duration " + quote(text) + " is too short; it must be at least 1ms");
    return false;
  }
  if (*nanoseconds % kMillisecond != 0) {
    ctx.error(node, path,
              "duration " + quote(text) + " is not a whole number of milliseconds; only " +
                  "millisecond precision is supported");
    return false;
  }
  out = std::chrono::milliseconds(*nanoseconds / kMillisecond);
  return true;
}

MapReader::MapReader(DecodeContext& ctx, const YAML::Node& node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!node.IsDefined() || node.IsNull()) {
    is_map_ = true;
    return;
  }
  if (!node.IsMap()) {
    ctx_.error(node, path_, "expected a map, found " + describeNode(node));
    return;
  }
  is_map_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      ctx_.error(it->first, path_, "field names must be strings, found " + describeNode(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (const Entry* first = find(key)) {
      ctx_.error(it->first, joinPath(path_, key),
                 "duplicate field " + quote(key) + "; it is already set at line " +
                     std::to_string(ctx_.locate(first->key_node).line));
      continue;
    }
    entries_.push_back(Entry{key, it->first, it->second});
  }
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) {
      return &entry;
    }
  }
  return nullptr;
}

void MapReader::accept(std::string_view key) {
  if (std::find(accepted_.begin(), accepted_.end(), key) == accepted_.end()) {
    accepted_.emplace_back(key);
  }
}

YAML::Node MapReader::take(std::string_view key) {
  accept(key);
  if (const Entry* entry = find(key)) {
    return entry->value;
  }
  return YAML::Node();
}

bool MapReader::has(std::string_view key) const {
  const Entry* entry = find(key);
  return entry != nullptr && !entry->value.IsNull();
}

YAML::Node MapReader::keyNode(std::string_view key) const {
  if (const Entry* entry = find(key)) {
    return entry->key_node;
  }
  return node_;
}

bool MapReader::readString(std::string_view key, std::string& out) {
  return internal::readString(ctx_, take(key), pathOf(key), out);
}

bool MapReader::readBool(std::string_view key, bool& out) {
  return internal::readBool(ctx_, take(key), pathOf(key), out);
}

bool MapReader::readUint32(std::string_view key, uint32_t minimum, uint32_t maximum,
                           uint32_t& out) {
  return internal::readUint32(ctx_, take(key), pathOf(key), minimum, maximum, out);
}

bool MapReader::readStringList(std::string_view key, std::vector<std::string>& out) {
  return internal::readStringList(ctx_, take(key), pathOf(key), out);
}

bool MapReader::readStringMap(std::string_view key, Labels& out) {
  return internal::readStringMap(ctx_, take(key), pathOf(key), out);
}

bool MapReader::readDuration(std::string_view key, std::chrono::milliseconds& out) {
  return internal::readDuration(ctx_, take(key), pathOf(key), out);
}

void MapReader::unsupported(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    accept(key);
    if (has(key)) {
      ctx_.warning(keyNode(key), pathOf(key),
                   "field " + std::string(key) + " is not supported by Portcullis and is ignored");
    }
  }
}

void MapReader::ignore(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    accept(key);
  }
}

bool MapReader::hasUnknownFields() const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& entry) {
    return std::find(accepted_.begin(), accepted_.end(), entry.key) == accepted_.end();
  });
}

void MapReader::finishIgnoringUnknown() {
  for (const Entry& entry : entries_) {
    if (std::find(accepted_.begin(), accepted_.end(), entry.key) == accepted_.end()) {
      ctx_.warning(entry.key_node, pathOf(entry.key),
                   "field " + quote(entry.key) + " is not used by Portcullis and is ignored");
    }
  }
}

void MapReader::finish() {
  for (const Entry& entry : entries_) {
    if (std::find(accepted_.begin(), accepted_.end(), entry.key) != accepted_.end()) {
      continue;
    }
    std::string accepted;
    for (const std::string& name : accepted_) {
      accepted += accepted.empty() ? name : ", " + name;
    }
    ctx_.error(entry.key_node, pathOf(entry.key),
               "unknown field " + quote(entry.key) +
                   "; accepted fields: " + (accepted.empty() ? "none" : accepted));
  }
}

}  // namespace portcullis::config::internal
