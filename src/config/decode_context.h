// Building blocks the decoders share. DecodeContext turns YAML marks into file positions and
// collects diagnostics. Typed readers check scalars, lists and maps. MapReader records the field
// names a decoder accepts, so that every other name is reported as unknown.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/loader.h"
#include "config/resources.h"

namespace portcullis::config::internal {

// Position of a parsed YAML text in its file. The mesh config is YAML inside a block scalar of a
// ConfigMap, so its marks are shifted by the line the block starts on and by its indentation.
struct TextOrigin {
  std::string file;
  int first_line = 0;     // 0-based file line of the text's first line
  int column_offset = 0;  // columns the text is indented by in the file
};

class DecodeContext {
 public:
  DecodeContext(TextOrigin origin, std::vector<Diagnostic>& out);

  // The object that diagnostics name, such as "AuthorizationPolicy istio-system/deny-all".
  void setObject(std::string object) { object_ = std::move(object); }
  const std::string& object() const { return object_; }

  // Location used for nodes without a mark (absent fields): normally the enclosing object.
  void setFallback(SourceLocation location) { fallback_ = std::move(location); }

  const std::string& file() const { return origin_.file; }
  // The list diagnostics are appended to, for a nested context that reports into it.
  std::vector<Diagnostic>& sink() { return out_; }
  SourceLocation locate(const YAML::Node& node) const;
  SourceLocation locate(const YAML::Mark& mark) const;

  void error(const YAML::Node& at, std::string field, std::string message);
  void warning(const YAML::Node& at, std::string field, std::string message);
  void info(const YAML::Node& at, std::string field, std::string message);
  void report(Diagnostic::Severity severity, SourceLocation location, std::string field,
              std::string message);

  int errorCount() const { return errors_; }
  // Counts errors reported through another context (the mesh text of a ConfigMap) as this
  // object's.
  void addErrors(int count) { errors_ += count; }

  // Proto JSON, which Istio uses to read the mesh config, accepts integers written as strings
  // ("9000"); the Kubernetes API server does not.
  bool integers_as_strings = false;

 private:
  TextOrigin origin_;
  std::vector<Diagnostic>& out_;
  std::string object_;
  SourceLocation fallback_;
  int errors_ = 0;
};

// The YAML 1.1 type of a scalar as Kubernetes clients resolve it: a quoted scalar is a string, a
// plain one is null, bool, int or float when it looks like one. Maps and lists are not scalars.
enum class ScalarType { Null, Bool, Int, Float, String, NotScalar };
ScalarType scalarType(const YAML::Node& node);

// True for an absent field and for an explicit null ("key:", "key: ~", "key: null").
bool isAbsent(const YAML::Node& node);

// "a map", "a list", "the integer 80", "the string \"abc\"": for type errors.
std::string describeNode(const YAML::Node& node);

// The value of `key` in a YAML map, or a null node when `map` is not a map or has no such key.
// It only iterates the map, because YAML::Node::operator[] can add the key or throw.
YAML::Node lookup(const YAML::Node& map, std::string_view key);
// The key node of `key` in a YAML map, for problems with the name itself; a null node when absent.
YAML::Node lookupKey(const YAML::Node& map, std::string_view key);

std::string joinPath(const std::string& path, std::string_view key);
std::string indexPath(const std::string& path, size_t index);
std::string quote(std::string_view value);

// Readers for scalars, lists and maps. A null or absent node leaves `out` unchanged and returns
// true. A type or range error is reported as an Error and returns false.
bool readString(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                std::string& out);
bool readBool(DecodeContext& ctx, const YAML::Node& node, const std::string& path, bool& out);
bool readInteger(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                 int64_t minimum, int64_t maximum, int64_t& out);
bool readUint32(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                uint32_t minimum, uint32_t maximum, uint32_t& out);
bool readStringList(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                    std::vector<std::string>& out);
// A map of strings to strings (labels, annotations, header values).
bool readStringMap(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                   Labels& out);
// A Go-style duration ("5s", "1.5s", "100ms", "1m") that Istio accepts: at least 1ms and a whole
// number of milliseconds.
bool readDuration(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                  std::chrono::milliseconds& out);

// True when `node` is a list; reports an Error (and returns false) for anything but a list or
// null.
bool expectList(DecodeContext& ctx, const YAML::Node& node, const std::string& path);

// Calls fn(item, item_path, index) for every element of a list.
template <class Fn>
void forEachItem(DecodeContext& ctx, const YAML::Node& node, const std::string& path, Fn&& fn) {
  if (!expectList(ctx, node, path)) {
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    fn(node[i], indexPath(path, i), i);
  }
}

// Reads the fields of one YAML map. Each take() or typed read marks a field name as accepted.
// finish() then reports every other field as unknown and lists the accepted names, as
// `kubectl apply --validate=strict` does.
class MapReader {
 public:
  // A null node reads as an empty map; any other non-map node is reported as an Error.
  MapReader(DecodeContext& ctx, const YAML::Node& node, std::string path);

  bool isMap() const { return is_map_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  DecodeContext& context() { return ctx_; }

  // Marks `key` as accepted and returns its value; a null node when the field is absent.
  YAML::Node take(std::string_view key);
  // True when the field is present with a non-null value.
  bool has(std::string_view key) const;
  std::string pathOf(std::string_view key) const { return joinPath(path_, key); }
  // The key node (for locations), or the map itself when the field is absent.
  YAML::Node keyNode(std::string_view key) const;

  bool readString(std::string_view key, std::string& out);
  bool readBool(std::string_view key, bool& out);
  bool readUint32(std::string_view key, uint32_t minimum, uint32_t maximum, uint32_t& out);
  bool readStringList(std::string_view key, std::vector<std::string>& out);
  bool readStringMap(std::string_view key, Labels& out);
  bool readDuration(std::string_view key, std::chrono::milliseconds& out);

  // Fields of the real API that Portcullis does not implement: a Warning for each one present.
  void unsupported(std::initializer_list<std::string_view> keys);
  // Fields that are accepted and ignored without a diagnostic (server-set metadata, status).
  void ignore(std::initializer_list<std::string_view> keys);
  // True when the map has a field that no call above accepted (so far).
  bool hasUnknownFields() const;
  // Reports every field that no call above accepted, as an Error.
  void finish();
  // Reports every field that no call above accepted as a Warning that it is ignored, for
  // configuration with many fields Portcullis has no use for (the mesh config).
  void finishIgnoringUnknown();

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* find(std::string_view key) const;
  void accept(std::string_view key);

  DecodeContext& ctx_;
  YAML::Node node_;
  std::string path_;
  bool is_map_ = false;
  std::vector<Entry> entries_;
  std::vector<std::string> accepted_;
};

}  // namespace portcullis::config::internal
