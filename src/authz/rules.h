// One AuthorizationPolicy rule compiled into matchers: the OR of its `from` sources, the OR of
// its `to` operations, and every `when` condition, all ANDed.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "authz/attributes.h"
#include "authz/patterns.h"
#include "config/resources.h"

namespace portcullis::authz {

// The request attribute a clause reads.
enum class Attribute {
  Host,              // operation hosts: `:authority`, port included
  Method,            // operation methods
  Path,              // operation paths: normalized path without query
  DestinationPort,   // operation ports, destination.port
  SourceIp,          // ipBlocks, source.ip: the TCP peer
  RemoteIp,          // remoteIpBlocks, remote.ip: the trusted client address
  DestinationIp,     // destination.ip
  Sni,               // connection.sni
  RequestPrincipal,  // requestPrincipals, request.auth.principal
  Claim,             // request.auth.claims[...], request.auth.audiences, request.auth.presenter
  Header,            // request.headers[...]
  // The mTLS peer identity "<trust domain>/ns/<namespace>/sa/<service account>" and its parts:
  // principals, namespaces, serviceAccounts, trustDomains and the source.* conditions.
  PeerPrincipal,
  PeerNamespace,
  PeerServiceAccount,  // "<namespace>/<service account>"
  PeerTrustDomain,
  Unavailable,       // experimental.envoy.filters.*: Envoy filter metadata this gateway lacks
};

using ValuePattern =
    std::variant<StringPattern, PathTemplate, CidrRange, uint16_t, PrincipalPattern>;

// One field of a source or operation, or one `when` condition: the attribute must match one of
// `values` (when any are set) and none of `not_values`.
struct Clause {
  Attribute attribute = Attribute::Host;
  std::string label;        // where the values come from, e.g. "from[0].source.ipBlocks"
  std::string not_label;    // where the not-values come from, e.g. "from[0].source.notIpBlocks"
  std::string header_name;  // Attribute::Header: lower-cased
  std::vector<std::string> claim_path;  // Attribute::Claim: top-level claim first
  std::vector<ValuePattern> values;
  std::vector<ValuePattern> not_values;
  std::vector<std::string> value_texts;  // as written in the policy, for traces
  std::vector<std::string> not_value_texts;
};

// One `- source:` or `- operation:` entry: all clauses must match.
struct Branch {
  std::string label;  // "from[0]" or "to[1]"
  std::vector<Clause> clauses;
};

struct CompiledRule {
  std::vector<Branch> from;  // OR; empty means no constraint
  std::vector<Branch> to;    // OR; empty means no constraint
  std::vector<Clause> when;  // AND
  bool installed = true;     // false when Istio would not generate the rule: it never matches
  std::string note;          // why the rule is not installed, or which values were ignored
};

// Treatment of a value that cannot be compiled (a bad IP, port, path template or key), as istiod
// generates configuration when such a value gets past validation. An ALLOW rule containing one
// disappears, which narrows the allow. DENY, AUDIT and CUSTOM rules lose only that value, which
// widens them.
enum class InvalidValues { DropRule, DropValue };

// Compiles `rule` of a policy in namespace `policy_ns`. A `when` key that Istio does not know
// leaves the rule not installed, whatever `handling` is.
CompiledRule compileRule(const config::Rule& rule, InvalidValues handling,
                         std::string_view policy_ns);

// Whether `rule` matches `request`. When `explanation` is set, writes what matched, or the first
// constraint that failed in each alternative and the value it compared.
bool matchRule(const CompiledRule& rule, const RequestAttributes& request,
               std::string* explanation);

}  // namespace portcullis::authz
