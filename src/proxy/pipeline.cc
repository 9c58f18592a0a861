#include "proxy/pipeline.h"

#include <array>
#include <cstdio>
#include <random>

#include <boost/json/value.hpp>

#include "http/client_address.h"
#include "http/path.h"

#include "http/headers.h"

namespace portcullis::proxy {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kRbacDenied = "RBAC: access denied";
// Envoy's jwt_authn puts at most this many characters of the path into the realm.
constexpr size_t kRealmPathLimit = 256;

LocalReply reply(unsigned status, std::string body, std::string details) {
  LocalReply out;
  out.status = status;
  out.body = std::move(body);
  out.details = std::move(details);
  return out;
}

bool isMethodToken(std::string_view method) {
  if (method.empty()) {
    return false;
  }
  for (char c : method) {
    // Envoy's HTTP/1 codec only accepts upper-case method names.
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string joinedHeader(const http::fields& headers, std::string_view name) {
  std::string out;
  for (const auto& field : portcullis::http::fieldsNamed(headers, name)) {
    if (!out.empty()) {
      out += ',';
    }
    out.append(field.value());
  }
  return out;
}

// A claim as a route header match sees it: a string, or the first string of a list.
bool claimMatches(const jwt::Jwt& token, const std::vector<std::string>& path,
                  const snapshot::StringMatcher& matcher) {
  const boost::json::object* object = &token.payload;
  const boost::json::value* value = nullptr;
  for (size_t i = 0; i < path.size(); ++i) {
    auto it = object->find(path[i]);
    if (it == object->end()) {
      return false;
    }
    value = &it->value();
    if (i + 1 < path.size()) {
      if (!value->is_object()) {
        return false;
      }
      object = &value->get_object();
    }
  }
  if (!value) {
    return false;
  }
  if (value->is_string()) {
    return matcher.matches(value->get_string());
  }
  if (value->is_array()) {
    for (const auto& element : value->get_array()) {
      if (element.is_string() && matcher.matches(element.get_string())) {
        return true;
      }
    }
  }
  return false;
}

std::optional<std::string> queryParam(std::string_view target, std::string_view name) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return std::string(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

bool routeMatches(const snapshot::RouteMatch& match, const Request& request,
                  std::string_view path, uint32_t gateway_port, const jwt::Jwt* identity) {
  if (match.port && *match.port != gateway_port) {
    return false;
  }
  if (match.path && !match.path->matches(path)) {
    return false;
  }
  if (match.method && !match.method->matches(request.method)) {
    return false;
  }
  if (match.scheme && !match.scheme->matches(request.scheme)) {
    return false;
  }
  if (match.authority) {
    const auto host = request.headers.find(http::field::host);
    if (host == request.headers.end() || !match.authority->matches(host->value())) {
      return false;
    }
  }
  for (const auto& header : match.headers) {
    bool matched = false;
    if (!header.claim_path.empty()) {
      matched = identity && claimMatches(*identity, header.claim_path, header.matcher);
    } else if (request.headers.count(header.name) > 0) {
      matched = header.matcher.matches(joinedHeader(request.headers, header.name));
    }
    if (matched == header.invert) {
      return false;
    }
  }
  for (const auto& [name, matcher] : match.query_params) {
    auto value = queryParam(request.target, name);
    if (!value || !matcher.matches(*value)) {
      return false;
    }
  }
  return true;
}

// The first route of `vhost` that matches, and the match that selected it (null for a route
// without matches).
std::pair<const snapshot::Route*, const snapshot::RouteMatch*> findRoute(
    const snapshot::VirtualHost& vhost, const Request& request, std::string_view path,
    uint32_t gateway_port, const jwt::Jwt* identity) {
  for (const auto& route : vhost.routes) {
    if (route.matches.empty()) {
      return {&route, nullptr};
    }
    for (const auto& match : route.matches) {
      if (routeMatches(match, request, path, gateway_port, identity)) {
        return {&route, &match};
      }
    }
  }
  return {nullptr, nullptr};
}

std::mt19937_64& randomEngine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

const snapshot::Cluster* pickCluster(const snapshot::Snapshot& snapshot,
                                     const snapshot::Route& route) {
  if (route.clusters.empty()) {
    return nullptr;
  }
  uint64_t total = 0;
  for (const auto& weighted : route.clusters) {
    total += weighted.weight;
  }
  if (total == 0 || route.clusters.size() == 1) {
    return &snapshot.clusters[route.clusters.front().cluster];
  }
  uint64_t pick = randomEngine()() % total;
  for (const auto& weighted : route.clusters) {
    if (pick < weighted.weight) {
      return &snapshot.clusters[weighted.cluster];
    }
    pick -= weighted.weight;
  }
  return &snapshot.clusters[route.clusters.back().cluster];
}

LocalReply authnFailure(jwt::Status status, const Request& request) {
  LocalReply out = reply(authn::httpStatusFor(status), std::string(jwt::statusMessage(status)),
                         "jwt_authn_access_denied{" + std::string(jwt::statusMessage(status)) +
                             "}");
  for (char& c : out.details) {
    if (c == ' ') {
      c = '_';
    }
  }
  const auto host = request.headers.find(http::field::host);
  std::string realm = request.scheme + "://";
  if (host != request.headers.end()) {
    realm.append(host->value());
  }
  realm.append(std::string_view(request.target).substr(0, kRealmPathLimit));
  std::string value = "Bearer realm=\"" + realm + "\"";
  if (status != jwt::Status::JwtMissed) {
    value += ", error=\"invalid_token\"";
  }
  out.headers.emplace_back("www-authenticate", std::move(value));
  return out;
}

// The x-forwarded-for value the upstream receives: the client's, with the TCP peer appended
// (Envoy with use_remote_address appends the peer, not the trusted client address).
std::string forwardedFor(const Request& request) {
  const std::string peer = request.peer_text.empty() ? request.peer.to_string() : request.peer_text;
  if (request.headers.find("x-forwarded-for") == request.headers.end()) {
    return peer;
  }
  return joinedHeader(request.headers, "x-forwarded-for") + "," + peer;
}

// The attributes the gateway's policies see. Views point into `request` and `outcome`.
authz::RequestAttributes gatewayAttributes(const Request& request, const Outcome& outcome) {
  authz::RequestAttributes attributes;
  attributes.method = request.method;
  attributes.host = request.headers.find(http::field::host)->value();
  attributes.path = portcullis::http::pathOf(request.target);
  attributes.headers = &request.headers;
  attributes.source_ip = request.peer;
  attributes.remote_ip = outcome.remote_ip;
  attributes.destination_ip = request.local;
  attributes.destination_port = request.local_port;
  return attributes;
}

LocalReply rbacDenied(std::string_view policy) {
  return reply(403, std::string(kRbacDenied),
               "rbac_access_denied_matched_policy[" +
                   (policy.empty() ? std::string("none") : std::string(policy)) + "]");
}

// A CUSTOM rule matched: requests a check from the caller (outcome.ext_authz), or denies when the
// workload has no usable provider. Returns false when the request goes on without a check.
bool startCustom(const snapshot::Snapshot& snapshot, const snapshot::CustomAction& action,
                 const authz::CustomMatch& match, const Request& request, bool at_workload,
                 const DecideOptions& options, Outcome& outcome) {
  if (action.provider < 0 && match.dry_run) {
    // istiod builds its DENY rules for an unusable provider from enforced policies only.
    if (options.trace) {
      outcome.notes.push_back("dry-run CUSTOM policy " + std::string(match.policy) +
                              " matched; " + action.denial + ", but a dry-run policy denies "
                              "nothing");
    }
    return false;
  }
  if (action.provider < 0) {
    outcome.reply = rbacDenied(match.policy);
    outcome.custom_refused = true;
    if (options.trace) {
      outcome.notes.push_back("CUSTOM policy " + std::string(match.policy) + " matched; " +
                              action.denial + ": 403");
    }
    return true;
  }
  const snapshot::ExtAuthzProvider& provider =
      snapshot.ext_authz_providers[static_cast<size_t>(action.provider)];
  ExtAuthzCall call;
  call.provider = &provider;
  if (match.dry_run) {
    // NOTE: Istio sends checks for a dry-run CUSTOM policy too and enforces the response.
    if (options.trace) {
      outcome.notes.push_back("CUSTOM policy " + std::string(match.policy) +
                              " is dry-run, but Istio still sends its check");
    }
  }
  const auto& endpoints = snapshot.clusters[provider.cluster].endpoints;
  if (!endpoints.empty()) {
    const uint64_t pick =
        options.endpoint_cursor ? (*options.endpoint_cursor)++ : randomEngine()();
    call.endpoint = &endpoints[pick % endpoints.size()];
  }
  // At the gateway, the check carries the forwarding headers that Envoy's connection manager sets
  // before any filter. At a workload, the request already carries them.
  extauthz::HeaderList forwarding;
  if (!at_workload) {
    forwarding.emplace_back("x-forwarded-for", forwardedFor(request));
    forwarding.emplace_back("x-forwarded-proto", request.scheme);
    if (!options.request_id.empty()) {
      forwarding.emplace_back("x-request-id", std::string(options.request_id));
    }
  }
  call.request = extauthz::buildCheckRequest(provider.http, request.method, request.target,
                                             request.headers, forwarding);
  call.timeout = provider.http.timeout;
  call.at_workload = at_workload;
  call.policy = match.policy;
  outcome.ext_authz = std::move(call);
  return true;
}


// The gateway's stages after CUSTOM: JWT authentication, DENY and ALLOW policies, routing.
void afterGatewayCustom(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                        const authn::KeySets& keys, Request& request,
                        const DecideOptions& options, Outcome& outcome) {
  auto note = [&](std::string text) {
    if (options.trace) {
      outcome.notes.push_back(std::move(text));
    }
  };

  // 3. JWT authentication.
  if (listener.authn && !listener.authn->empty()) {
    outcome.authn =
        listener.authn->authenticate(request.headers, request.target, request.method == "OPTIONS",
                                     keys, options.now, options.token_cache, options.trace);
    if (outcome.authn.status != jwt::Status::Ok) {
      outcome.reply = authnFailure(outcome.authn.status, request);
      note("JWT rejected: " + std::string(jwt::statusMessage(outcome.authn.status)));
      return;
    }
  }

  // 4. DENY and ALLOW policies, seeing the request as authentication left it.
  authz::RequestAttributes attributes = gatewayAttributes(request, outcome);
  authz::Identity identity;
  if (outcome.authn.identity) {
    identity.jwt = outcome.authn.identity.get();
    identity.space_delimited_claims = &outcome.authn.provider->space_delimited_claims;
    attributes.identity = &identity;
  }
  if (listener.authz && !listener.authz->empty()) {
    outcome.authz = listener.authz->evaluate(attributes, outcome.authz_trace.get());
    if (!outcome.authz.allowed) {
      outcome.reply = rbacDenied(outcome.authz.policy);
      return;
    }
  }

  // 5. Routing.
  const std::string_view host = attributes.host;
  const snapshot::VirtualHost* vhost = listener.findVirtualHost(host);
  const auto [route, match] =
      vhost ? findRoute(*vhost, request, attributes.path, listener.gateway_port, identity.jwt)
            : std::pair<const snapshot::Route*, const snapshot::RouteMatch*>{};
  if (!route) {
    outcome.reply = reply(404, "", "route_not_found");
    note("no route for host \"" + std::string(host) + "\" and path \"" +
         std::string(attributes.path) + "\": 404");
    return;
  }
  outcome.forward.route = route;
  outcome.forward.match = match;
  outcome.forward.cluster = pickCluster(snapshot, *route);
  outcome.forward.timeout = route->timeout;
  note("routed by " + route->origin +
       (outcome.forward.cluster ? " to " + outcome.forward.cluster->name : ""));
  if (!outcome.forward.cluster || outcome.forward.cluster->endpoints.empty()) {
    outcome.reply = upstreamFailureReply(503, "no healthy upstream");
    outcome.reply->details = "no_healthy_upstream";
    return;
  }
  const auto& endpoints = outcome.forward.cluster->endpoints;
  const uint64_t pick = options.endpoint_cursor ? (*options.endpoint_cursor)++ : randomEngine()();
  outcome.forward.endpoint = &endpoints[pick % endpoints.size()];
}

}  // namespace

Outcome decide(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
               const authn::KeySets& keys, Request& request, const DecideOptions& options) {
  Outcome outcome;
  if (options.trace) {
    outcome.authz_trace = std::make_unique<authz::Trace>();
  }
  auto note = [&](std::string text) {
    if (options.trace) {
      outcome.notes.push_back(std::move(text));
    }
  };

  // 1. What the HTTP connection manager does before any filter.
  if (!isMethodToken(request.method)) {
    outcome.reply = reply(400, "Bad Request", "invalid_method");
    note("method \"" + request.method + "\" is not an upper-case token: 400");
    return outcome;
  }
  if (request.headers.find(http::field::host) == request.headers.end()) {
    outcome.reply = reply(400, "Bad Request", "missing_host_header");
    note("no Host header: 400");
    return outcome;
  }
  std::string normalized;
  if (portcullis::http::normalizeTarget(request.target, snapshot.mesh.path_normalization,
                                       normalized) != portcullis::http::PathStatus::Ok) {
    outcome.reply = reply(400, "Bad Request", "path_normalization_failed");
    note("request target \"" + request.target + "\" is not a valid path: 400");
    return outcome;
  }
  if (normalized != request.target) {
    note("path normalized from \"" + request.target + "\" to \"" + normalized + "\"");
  }
  request.target = std::move(normalized);
  outcome.remote_ip = portcullis::http::trustedClientAddress(request.headers, request.peer,
                                                             snapshot.mesh.num_trusted_proxies);

  // 2. CUSTOM authorization runs before JWT authentication.
  if (!options.gateway_custom_done && listener.authz && !listener.authz->empty()) {
    const authz::RequestAttributes attributes = gatewayAttributes(request, outcome);
    const authz::CustomMatch custom =
        listener.authz->matchCustom(attributes, outcome.authz_trace.get());
    if (custom.matched &&
        startCustom(snapshot, listener.custom, custom, request, false, options, outcome)) {
      return outcome;
    }
  }
  afterGatewayCustom(snapshot, listener, keys, request, options, outcome);
  return outcome;
}


namespace {

// The attributes a destination workload's policies see: its sidecar's peer is the gateway, and
// the trusted client address is the last X-Forwarded-For entry, the one the gateway appended.
authz::RequestAttributes workloadAttributes(const snapshot::Listener& listener,
                                            const Request& request,
                                            const snapshot::Endpoint& endpoint) {
  authz::RequestAttributes attributes;
  attributes.method = request.method;
  const auto host = request.headers.find(http::field::host);
  attributes.host =
      host != request.headers.end() ? std::string_view(host->value()) : std::string_view{};
  attributes.path = portcullis::http::pathOf(request.target);
  attributes.headers = &request.headers;
  attributes.source_ip = request.local;
  attributes.remote_ip = portcullis::http::trustedClientAddress(request.headers, request.peer, 1);
  portcullis::http::parseIp(endpoint.host, attributes.destination_ip);
  attributes.destination_port = endpoint.port;
  attributes.peer_principal = listener.principal;
  return attributes;
}

// The destination workload's stages after CUSTOM: JWT authentication, then DENY and ALLOW.
void afterWorkloadCustom(const snapshot::Listener& listener, Request& request,
                         const DecideOptions& options, Outcome& outcome) {
  const snapshot::Endpoint& endpoint = *outcome.forward.endpoint;
  const auto index = static_cast<size_t>(endpoint.workload);
  const snapshot::DestinationWorkload& workload = *outcome.workload;
  if (workload.authn && !workload.authn->empty()) {
    authn::KeySets direct;
    const authn::KeySets* keys = nullptr;
    if (options.workload_keys && index < options.workload_keys->size()) {
      keys = &(*options.workload_keys)[index];
    } else {
      for (const auto& source : workload.key_sources) {
        direct.push_back(source ? source->current() : nullptr);
      }
      keys = &direct;
    }
    outcome.workload_authn =
        workload.authn->authenticate(request.headers, request.target, request.method == "OPTIONS",
                                     *keys, options.now, options.token_cache, options.trace);
    if (outcome.workload_authn.status != jwt::Status::Ok) {
      outcome.reply = authnFailure(outcome.workload_authn.status, request);
      if (options.trace) {
        outcome.notes.push_back("JWT rejected by " + workload.origin + ": " +
                                std::string(jwt::statusMessage(outcome.workload_authn.status)));
      }
      return;
    }
  }

  if (workload.authz && !workload.authz->empty()) {
    authz::RequestAttributes attributes = workloadAttributes(listener, request, endpoint);
    authz::Identity identity;
    if (outcome.workload_authn.identity) {
      identity.jwt = outcome.workload_authn.identity.get();
      identity.space_delimited_claims = &outcome.workload_authn.provider->space_delimited_claims;
      attributes.identity = &identity;
    }
    outcome.workload_authz = workload.authz->evaluate(attributes, outcome.authz_trace.get());
    if (!outcome.workload_authz.allowed) {
      outcome.reply = rbacDenied(outcome.workload_authz.policy);
    }
  }
}

// For a request the gateway forwards: prepares it for the upstream, then runs the destination
// workload's stages.
void forwardStages(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                   Request& request, const DecideOptions& options, const std::string& request_id,
                   Outcome& outcome) {
  if (outcome.reply || outcome.ext_authz) {
    return;
  }
  if (outcome.authz_trace) {
    outcome.workload_trace_begin = outcome.authz_trace->entries.size();
  }
  prepareUpstreamRequest(request, outcome, request_id);
  decideDestination(snapshot, listener, request, options, outcome);
}

}  // namespace

void decideDestination(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                       Request& request, const DecideOptions& options, Outcome& outcome) {
  const snapshot::Endpoint* endpoint = outcome.forward.endpoint;
  if (!endpoint || endpoint->workload < 0) {
    return;
  }
  const snapshot::DestinationWorkload& workload =
      snapshot.workloads[static_cast<size_t>(endpoint->workload)];
  if (!workload.enforces()) {
    return;
  }
  outcome.reply.reset();
  outcome.workload_authn = authn::Result{};
  outcome.workload_authz = authz::Decision{};
  outcome.workload = &workload;
  if (outcome.authz_trace) {
    outcome.authz_trace->entries.resize(outcome.workload_trace_begin);  // a previous run's
  }
  if (options.trace) {
    outcome.notes.push_back("the endpoint is " + workload.origin + " (" +
                            workload.workload.describe() + "), whose policies apply next");
  }
  if (!outcome.workload_custom_done && workload.authz && !workload.authz->empty()) {
    const authz::RequestAttributes attributes = workloadAttributes(listener, request, *endpoint);
    const authz::CustomMatch custom =
        workload.authz->matchCustom(attributes, outcome.authz_trace.get());
    if (custom.matched &&
        startCustom(snapshot, workload.custom, custom, request, true, options, outcome)) {
      return;
    }
  }
  afterWorkloadCustom(listener, request, options, outcome);
}

Outcome process(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                const authn::KeySets& keys, Request& request, const DecideOptions& options,
                const std::string& request_id) {
  DecideOptions with_id = options;
  with_id.request_id = request_id;
  Outcome outcome = decide(snapshot, listener, keys, request, with_id);
  forwardStages(snapshot, listener, request, options, request_id, outcome);
  return outcome;
}

void resume(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
            const authn::KeySets& keys, Request& request, const DecideOptions& options,
            const std::string& request_id, const extauthz::CheckResponse& response,
            Outcome& outcome) {
  ExtAuthzCall call = std::move(*outcome.ext_authz);
  outcome.ext_authz.reset();
  const config::ExtAuthzHttpProvider& provider = call.provider->http;
  ExtAuthzExchange& exchange = outcome.ext_authz_exchanges.emplace_back();
  exchange.provider = call.provider->name;
  exchange.policy = call.policy;
  exchange.at_workload = call.at_workload;
  exchange.request = std::move(call.request);
  exchange.response = response;
  exchange.verdict = extauthz::classify(response);
  const std::string checked_by = "provider " + call.provider->name + " (CUSTOM policy " +
                          std::string(call.policy) + ")";
  auto note = [&](std::string text) {
    if (options.trace) {
      outcome.notes.push_back(std::move(text));
    }
  };

  switch (exchange.verdict) {
    case extauthz::Verdict::Deny:
      outcome.reply = reply(response.status, response.body, "ext_authz_denied");
      outcome.reply->headers = extauthz::deniedResponseHeaders(provider, response);
      outcome.custom_refused = true;
      note(checked_by + " denied the request with " + std::to_string(response.status));
      return;
    case extauthz::Verdict::Error: {
      const std::string failure =
          response.status != 0 ? "answered " + std::to_string(response.status) : response.error;
      if (!provider.fail_open) {
        outcome.reply = reply(provider.status_on_error, "", "ext_authz_error");
        outcome.custom_refused = true;
        note(checked_by + " failed (" + failure + "): statusOnError " +
             std::to_string(provider.status_on_error));
        return;
      }
      note(checked_by + " failed (" + failure + "); failOpen lets the request go on");
      break;
    }
    case extauthz::Verdict::Allow:
      for (const std::string& name : extauthz::headersToRemove(response)) {
        request.headers.erase(name);
      }
      for (auto& [name, value] :
           extauthz::allowedHeaders(provider.headers_to_upstream_on_allow, response)) {
        request.headers.set(name, value);
      }
      for (auto& header :
           extauthz::allowedHeaders(provider.headers_to_downstream_on_allow, response)) {
        outcome.response_headers.push_back(std::move(header));
      }
      note(checked_by + " allowed the request");
      break;
  }

  if (call.at_workload) {
    outcome.workload_custom_done = true;
    afterWorkloadCustom(listener, request, options, outcome);
    return;
  }
  outcome.gateway_custom_done = true;
  afterGatewayCustom(snapshot, listener, keys, request, options, outcome);
  forwardStages(snapshot, listener, request, options, request_id, outcome);
}

void removeHopByHopHeaders(http::fields& headers) {
  // Headers listed in Connection are hop-by-hop too.
  std::vector<std::string> listed;
  for (const auto& field : portcullis::http::fieldsNamed(headers, http::field::connection)) {
    std::string_view value = field.value();
    while (!value.empty()) {
      const size_t comma = value.find(',');
      std::string_view name = value.substr(0, comma);
      while (!name.empty() && name.front() == ' ') {
        name.remove_prefix(1);
      }
      while (!name.empty() && name.back() == ' ') {
        name.remove_suffix(1);
      }
      if (!name.empty()) {
        listed.emplace_back(name);
      }
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
  }
  for (const auto& name : listed) {
    if (!boost::beast::iequals(name, "transfer-encoding")) {
      headers.erase(name);
    }
  }
  headers.erase(http::field::connection);
  headers.erase(http::field::keep_alive);
  headers.erase(http::field::proxy_connection);
  headers.erase(http::field::te);
  headers.erase(http::field::trailer);
  headers.erase(http::field::upgrade);
}

void prepareUpstreamRequest(Request& request, const Outcome& outcome,
                            const std::string& request_id) {
  http::fields& headers = request.headers;
  removeHopByHopHeaders(headers);
  headers.erase(http::field::expect);  // 100-continue is answered by the gateway itself

  headers.set("x-forwarded-for", forwardedFor(request));
  headers.set("x-forwarded-proto", request.scheme);
  headers.set("x-request-id", request_id);

  const snapshot::Route* route = outcome.forward.route;
  if (!route) {
    return;
  }
  if (route->rewrite_prefix) {
    const std::string_view path = portcullis::http::pathOf(request.target);
    const std::string query = request.target.substr(path.size());
    // A prefix match has its matched characters replaced (the prefix's length, whatever
    // their case under ignoreUriCase); any other match has the whole path replaced.
    std::string rewritten;
    const snapshot::RouteMatch* match = outcome.forward.match;
    if (match && match->path && match->path->kind == snapshot::StringMatcher::Kind::Prefix &&
        path.size() >= match->path->value.size()) {
      rewritten = *route->rewrite_prefix + std::string(path.substr(match->path->value.size()));
    } else {
      rewritten = *route->rewrite_prefix;
    }
    request.target = rewritten + query;
  }
  if (route->rewrite_authority) {
    headers.set(http::field::host, *route->rewrite_authority);
  }
  for (const auto& name : route->request_headers.remove) {
    headers.erase(name);
  }
  for (const auto& [name, value] : route->request_headers.set) {
    headers.set(name, value);
  }
  for (const auto& [name, value] : route->request_headers.add) {
    headers.insert(name, value);
  }
}

LocalReply upstreamFailureReply(unsigned status, std::string_view reason) {
  return reply(status, std::string(reason), std::string(reason));
}

std::string newRequestId() {
  auto& engine = randomEngine();
  const uint64_t high = engine();
  const uint64_t low = engine();
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t at = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) {
      ++at;  // the dashes of the 8-4-4-4-12 form
    }
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace portcullis::proxy
