// Checks on single values (host names, IP blocks, ports, durations, regexes, header names,
// condition keys) that the decoders share. Each check follows the rule Istio's admission webhook
// or the Kubernetes API server applies to the same field; the .cc file names the rule.
//
// Functions named validate* return an empty string when the value is valid and otherwise a
// message that names what is accepted. Functions named parse* return std::nullopt on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::config::internal {

// Kubernetes names: RFC 1123 label (lower case, at most 63 characters) and subdomain (dot-separated
// labels, at most 253 characters).
bool isDns1123Label(std::string_view value);
bool isDns1123Subdomain(std::string_view value);

// Istio's own label rule, which also accepts upper-case letters.
bool isIstioDnsLabel(std::string_view value);

// A domain name whose first label may be a wildcard ("*", "*.example.com", "*foo.example.com").
std::string validateWildcardDomain(std::string_view domain);

// A fully qualified domain name without wildcards.
std::string validateFqdn(std::string_view domain);

// An Istio Gateway server host: "host", "ns/host", "*/host" or "./host", where host is "*", an IP
// address or a domain with at most a leading "*." wildcard.
std::string validateGatewayServerHost(std::string_view host);

// A gateway reference in a VirtualService: "name" or "namespace/name".
std::string validateGatewayReference(std::string_view name);

// A Gateway API hostname: a lower-case domain with an optional leading "*." label.
std::string validateGatewayApiHostname(std::string_view hostname);

// IP addresses and CIDR blocks with Go's net/netip rules: dotted-quad IPv4 without leading zeros,
// any IPv6 form, an IPv6 zone only on plain addresses, and prefix lengths in decimal.
bool parseIpAddress(std::string_view value);
bool parseCidr(std::string_view value);
// "bad IP address (x)" or "bad CIDR range (x)" as Istio words them, or "" when valid.
std::string validateIpOrCidr(std::string_view value);

// A port written as a decimal string, as in AuthorizationPolicy `ports`: digits only, 0-65535.
std::optional<uint32_t> parsePortString(std::string_view value);

// Go's strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
std::optional<bool> parseGoBool(std::string_view value);

// Go's time.ParseDuration ("1.5s", "100ms", "1h30m"), in nanoseconds. Negative values parse.
std::optional<int64_t> parseGoDuration(std::string_view value);

// Gateway API durations (GEP-2257): one to four groups of 1-5 digits followed by h, m, s or ms.
std::optional<int64_t> parseGatewayApiDuration(std::string_view value);

// HTTP header names. An RFC 9110 token, and Istio's stricter [-A-Za-z0-9]+ form for headers it
// creates.
bool isHttpToken(std::string_view value);
bool isStrictHeaderName(std::string_view value);

// A regular expression as a match value. Envoy compiles it with RE2; see the .cc file for how
// this check differs.
std::string validateRegex(std::string_view regex);

// An AuthorizationPolicy path or notPath that uses {*} or {**} must not also use other template
// forms ({name}, {name=*}) or bare "*" segments.
std::string validatePathTemplate(std::string_view path);

// Format required of the values of an AuthorizationPolicy `when` condition.
enum class ConditionValues { Any, IpBlocks, Ports };

// Checks an AuthorizationPolicy condition key and returns "" when it is known, filling `values`.
std::string validateConditionKey(std::string_view key, ConditionValues& values);

// Kubernetes label keys (an optional DNS subdomain prefix and a name) and label values.
std::string validateLabelKey(std::string_view key);
std::string validateLabelValue(std::string_view value);

// An inline JWKS: a JSON object with a "keys" array of JWK objects, or one JWK object. Sets
// `has_private_key` when a key carries private material ("d", "p" or "q").
std::string validateJwks(std::string_view jwks, bool* has_private_key);

// A jwksUri: an absolute URL with scheme http or https.
std::string validateJwksUri(std::string_view uri);

// An extension provider service: "[namespace/]hostname", or an IP address.
std::string validateProviderService(std::string_view service);

// The status codes Envoy's type.v3.StatusCode enum names, which ext_authz statusOnError accepts.
bool isEnvoyStatusCode(int64_t code);

}  // namespace portcullis::config::internal
