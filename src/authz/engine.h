// AuthorizationPolicy evaluation: the policies that apply to one workload, compiled into
// matchers once per configuration snapshot and evaluated per request without allocation on
// the common path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "authz/attributes.h"
#include "config/resources.h"

namespace portcullis::authz {

// One step of an explanation, for `portcullis check` and debug logs.
struct TraceEntry {
  std::string policy;   // "namespace/name"
  std::string action;   // ALLOW, DENY, AUDIT, CUSTOM
  int rule = -1;        // index in spec.rules, -1 for policy-level entries
  bool matched = false;
  bool dry_run = false;
  std::string detail;   // the first field that failed and the value compared, or why it matched
};

struct Trace {
  std::vector<TraceEntry> entries;
};

struct Decision {
  bool allowed = true;
  std::string policy;  // "namespace/name" of the policy that decided, empty if none
};

struct CustomMatch {
  bool matched = false;
  std::string provider;  // extension provider name of the first matching CUSTOM policy
  std::string policy;
};

class Engine {
 public:
  // Compiles the policies already selected for one workload, in creation order. Policies must
  // have passed config validation; a value that still cannot be compiled is handled as Istio
  // does: it removes an ALLOW rule and widens a DENY rule to the rest of its fields.
  static std::shared_ptr<const Engine> compile(
      const std::vector<const config::AuthorizationPolicy*>& policies);

  // Whether any enforced CUSTOM rule matches; run before JWT authentication.
  virtual CustomMatch matchCustom(const RequestAttributes& request, Trace* trace) const = 0;

  // DENY, then ALLOW; AUDIT and dry-run policies are evaluated for the trace only.
  virtual Decision evaluate(const RequestAttributes& request, Trace* trace) const = 0;

  virtual bool empty() const = 0;  // no policy applies
  virtual ~Engine() = default;
};

}  // namespace portcullis::authz
