// Request path normalization, applied once before any policy sees the path; the normalized path
// is also what the upstream receives. The modes are those of Istio's mesh config
// `pathNormalization`, which map onto Envoy's HTTP connection manager settings.
#pragma once

#include <string>
#include <string_view>

#include "config/resources.h"

namespace portcullis::http {

enum class PathStatus {
  Ok,
  Invalid,  // does not start with '/', or holds a NUL byte (raw or %00): answered 400
};

// Splits `target` (the request-target as received, origin form) into path and query, removes
// a fragment, and normalizes the path per `mode`:
// - None: path kept as received.
// - Base: '\' becomes '/', percent-encoded unreserved characters (ALPHA, DIGIT, '-', '.', '_',
//   '~') are decoded, and "." and ".." segments are removed (RFC 3986 section 5.2.4).
// - MergeSlashes: Base, then runs of '/' become one.
// - DecodeAndMergeSlashes: %2F and %5C (any case) are first decoded to '/' and '\', then as
//   MergeSlashes. Envoy decodes escaped slashes before it resolves dot segments.
// On Ok, `out_target` is the normalized path followed by "?query" when a query was present.
PathStatus normalizeTarget(std::string_view target, config::PathNormalization mode,
                           std::string& out_target);

// The path part of a normalized target: everything before '?'.
std::string_view pathOf(std::string_view target);

}  // namespace portcullis::http
