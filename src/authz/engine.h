// AuthorizationPolicy evaluation: the policies that apply to one workload, compiled into
// matchers once per configuration snapshot and evaluated per request without allocation on
// the common path.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authz/attributes.h"
#include "config/resources.h"

namespace portcullis::authz {

// One step of an explanation, for `portcullis check` and debug logs.
struct TraceEntry {
  std::string policy;  // "namespace/name"
  std::string action;  // ALLOW, DENY, AUDIT, CUSTOM
  int rule = -1;       // index in spec.rules, -1 for policy-level entries
  bool matched = false;
  bool dry_run = false;
  std::string detail;  // the first field that failed and the value compared, or why it matched
};

struct Trace {
  std::vector<TraceEntry> entries;
};

// The string views of Decision and CustomMatch point into the Engine that returned them, so they
// stay valid only while that Engine lives. Views let evaluation run without allocating.
struct Decision {
  bool allowed = true;
  // "namespace/name" of the DENY policy that denied or the ALLOW policy that allowed; empty when
  // no ALLOW policy is enforced or none matched.
  std::string_view policy;
  int rule = -1;       // index of the matching rule in that policy's spec.rules
  bool audit = false;  // an enforced AUDIT rule matched: the request is marked for audit logging
};

struct CustomMatch {
  bool matched = false;
  std::string_view provider;  // extension provider name of the first matching CUSTOM policy
  std::string_view policy;    // "namespace/name" of that policy
  int rule = -1;              // index of the matching rule in that policy's spec.rules
  bool dry_run = false;       // only dry-run CUSTOM policies matched
};

class Engine {
 public:
  // Compiles the policies already selected for one workload, in creation order. Policies must
  // have passed config validation; a value that still cannot be compiled is handled as Istio
  // does: it removes an ALLOW rule and widens a DENY rule to the rest of its fields.
  static std::shared_ptr<const Engine> compile(
      const std::vector<const config::AuthorizationPolicy*>& policies);

  // Whether any CUSTOM rule matches, dry-run ones included because Istio still calls the
  // provider for them. An enforced policy's match is preferred. Runs before JWT authentication.
  virtual CustomMatch matchCustom(const RequestAttributes& request, Trace* trace) const = 0;

  // DENY, then ALLOW. AUDIT only sets Decision::audit. Dry-run policies are evaluated only when
  // `trace` is set, and never change the decision.
  virtual Decision evaluate(const RequestAttributes& request, Trace* trace) const = 0;

  virtual bool empty() const = 0;  // no policy applies
  virtual ~Engine() = default;
};

}  // namespace portcullis::authz
