// Loads manifests from files, folders or strings into a ResourceSet, collecting every problem
// with its file, line, field path, bad value and the accepted values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/resources.h"

namespace portcullis::config {

struct Diagnostic {
  enum class Severity { Error, Warning, Info };
  Severity severity = Severity::Error;
  SourceLocation location;
  std::string object;  // "AuthorizationPolicy istio-system/deny-all", empty for file errors
  std::string field;   // "spec.rules[0].when[1].key", empty for document-level problems
  std::string message;  // names the bad value and what is accepted

  // "file:line:column: error: object: field: message", the form compilers use.
  std::string format() const;
};

struct LoadResult {
  ResourceSet resources;
  std::vector<Diagnostic> diagnostics;
  // Paths of every file read, for reload polling.
  std::vector<std::string> files;

  bool ok() const;  // no diagnostic of severity Error
};

// Reads each path: a YAML file, or a folder whose *.yaml and *.yml files are read in name
// order (not recursive). Every document of every file is decoded; documents with an error are
// left out of `resources` and reported. Unknown kinds are skipped with one Info diagnostic.
LoadResult loadPaths(const std::vector<std::string>& paths);

// Loads YAML text as if it were a file named `file_name`.
LoadResult loadString(std::string_view yaml, const std::string& file_name);

}  // namespace portcullis::config
