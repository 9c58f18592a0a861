// `portcullis check`: one request through the same pipeline as `serve`, offline, with an
// explanation of the decision.
#include <chrono>
#include <ctime>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli.h"
#include "config/loader.h"
#include "extauthz/client.h"
#include "http/client_address.h"
#include "http/path.h"
#include "jwks/registry.h"
#include "proxy/pipeline.h"

namespace portcullis::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

// How long connecting to an ext_authz provider may take: Istio's default connectTimeout, which
// `serve` uses too unless --upstream-connect-timeout changes it.
constexpr std::chrono::seconds kConnectTimeout{10};

struct ParsedRequest {
  std::string method;
  std::string url;        // as given in --request
  std::string authority;  // as it would be sent in Host
  uint32_t port = 80;     // gateway port the request is sent to
  std::string scheme = "http";
  std::string target;  // path and query
};

bool parseRequest(const std::string& text, ParsedRequest& out, std::string& error) {
  const size_t space = text.find(' ');
  if (space == std::string::npos) {
    error = "--request \"" + text + "\": expected 'METHOD URL', for example 'GET http://example.com/headers'";
    return false;
  }
  out.method = text.substr(0, space);
  const std::string url = text.substr(space + 1);
  out.url = url;
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https")) {
    error = "--request URL \"" + url + "\" is not an absolute http or https URL";
    return false;
  }
  out.scheme = std::string(parsed->scheme());
  out.authority = std::string(parsed->encoded_host_and_port());
  out.port = parsed->has_port() ? static_cast<uint32_t>(parsed->port_number())
                                : (out.scheme == "https" ? 443 : 80);
  out.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) {
    out.target += "?" + std::string(parsed->encoded_query());
  }
  return true;
}

json::object headersJson(const http::fields& headers) {
  json::object out;
  for (const auto& field : headers) {
    std::string name(field.name_string());
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto it = out.find(name);
    if (it == out.end()) {
      out[name] = std::string(field.value());
    } else {
      it->value() = std::string(it->value().get_string()) + "," + std::string(field.value());
    }
  }
  return out;
}

json::array traceJson(const proxy::Outcome& outcome) {
  json::array trace;
  for (const auto& note : outcome.notes) {
    trace.push_back(json::object{{"stage", "pipeline"}, {"detail", note}});
  }
  for (const auto& token : outcome.authn.tokens) {
    trace.push_back(json::object{{"stage", "authn"},
                                 {"provider", token.provider},
                                 {"location", token.location},
                                 {"status", std::string(jwt::statusName(token.status))},
                                 {"detail", std::string(jwt::statusMessage(token.status))}});
  }
  if (outcome.authz_trace) {
    for (const auto& entry : outcome.authz_trace->entries) {
      trace.push_back(json::object{{"stage", "authz"},
                                   {"policy", entry.policy},
                                   {"action", entry.action},
                                   {"rule", entry.rule},
                                   {"matched", entry.matched},
                                   {"dry_run", entry.dry_run},
                                   {"detail", entry.detail}});
    }
  }
  return trace;
}

// The checks sent to ext_authz providers and their responses.
json::array extAuthzJson(const proxy::Outcome& outcome) {
  json::array out;
  for (const auto& exchange : outcome.ext_authz_exchanges) {
    json::object sent_headers;
    for (const auto& [name, value] : exchange.request.headers) {
      sent_headers[name] = value;
    }
    json::object answer;
    if (exchange.response.status != 0) {
      json::object received_headers;
      for (const auto& [name, value] : exchange.response.headers) {
        received_headers[name] = value;
      }
      answer = json::object{{"status", exchange.response.status},
                            {"headers", std::move(received_headers)},
                            {"body", exchange.response.body}};
    } else {
      answer = json::object{{"error", exchange.response.error}};
    }
    static constexpr std::string_view kVerdicts[] = {"allow", "deny", "error"};
    out.push_back(json::object{
        {"provider", exchange.provider},
        {"policy", exchange.policy},
        {"stage", exchange.at_workload ? "workload" : "gateway"},
        {"request", json::object{{"method", exchange.request.method},
                                 {"path", exchange.request.target},
                                 {"headers", std::move(sent_headers)}}},
        {"response", std::move(answer)},
        {"verdict", kVerdicts[static_cast<size_t>(exchange.verdict)]}});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stages: the decision explained in pipeline order, one entry per step, for a person who wrote
// the policies. Each entry has `stage` (normalization, custom, jwt, authz, routing) and a
// `detail` sentence. The entry that sums up a stage also has `outcome`.

std::string_view pathNormalizationName(config::PathNormalization mode) {
  switch (mode) {
    case config::PathNormalization::None:
      return "NONE";
    case config::PathNormalization::Base:
      return "BASE";
    case config::PathNormalization::MergeSlashes:
      return "MERGE_SLASHES";
    case config::PathNormalization::DecodeAndMergeSlashes:
      return "DECODE_AND_MERGE_SLASHES";
  }
  return "BASE";
}

// The pipeline step that replied locally, from the reply's response code details.
enum class StoppedAt { Normalization, Custom, Jwt, Authz, Routing, Nowhere };

StoppedAt stoppedAt(const proxy::Outcome& outcome) {
  if (!outcome.reply || outcome.workload != nullptr) {
    // A reply after the gateway's stages comes from the destination workload's stage.
    return StoppedAt::Nowhere;
  }
  const std::string& details = outcome.reply->details;
  if (details == "invalid_method" || details == "missing_host_header" ||
      details == "path_normalization_failed") {
    return StoppedAt::Normalization;
  }
  if (outcome.custom_refused) {
    return StoppedAt::Custom;
  }
  if (details.starts_with("jwt_authn_access_denied")) {
    return StoppedAt::Jwt;
  }
  if (details.starts_with("rbac_access_denied")) {
    return StoppedAt::Authz;
  }
  return StoppedAt::Routing;
}

// Describes the locations where a provider looks for tokens, in the authenticator's words.
std::string providerLocations(const authn::Provider& provider) {
  std::string out;
  auto add = [&out](const std::string& text) {
    out += (out.empty() ? "" : ", ") + text;
  };
  for (const auto& header : provider.from_headers) {
    std::string name = header.name;
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    add("header " + name + (header.prefix.empty() ? "" : " (prefix \"" + header.prefix + "\")"));
  }
  for (const auto& param : provider.from_params) {
    add("query parameter " + param);
  }
  for (const auto& cookie : provider.from_cookies) {
    add("cookie " + cookie);
  }
  return out;
}

class Explanation {
 public:
  // `host` is the Host header the client sent.
  Explanation(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
              const proxy::Outcome& outcome, const ParsedRequest& parsed, std::string host)
      : snapshot_(snapshot),
        listener_(listener),
        outcome_(outcome),
        parsed_(parsed),
        host_(std::move(host)),
        stopped_(stoppedAt(outcome)) {}

  json::array stages() {
    addNormalization();
    if (reached(StoppedAt::Custom)) {
      addCustom();
    } else {
      notReached("custom");
    }
    if (reached(StoppedAt::Jwt)) {
      addJwt();
    } else {
      notReached("jwt");
    }
    if (reached(StoppedAt::Authz)) {
      addAuthz();
    } else {
      notReached("authz");
    }
    if (reached(StoppedAt::Routing)) {
      addRouting();
    } else {
      notReached("routing");
    }
    if (outcome_.workload != nullptr) {
      addWorkload(*outcome_.workload);
    }
    return std::move(stages_);
  }

 private:
  // Whether the pipeline ran `step`: every step up to the one that replied locally.
  bool reached(StoppedAt step) const {
    return static_cast<int>(step) <= static_cast<int>(stopped_);
  }

  void add(json::object entry) { stages_.push_back(std::move(entry)); }

  void summary(std::string_view stage, std::string_view outcome, std::string detail) {
    add(json::object{{"stage", stage}, {"outcome", outcome}, {"detail", std::move(detail)}});
  }

  void notReached(std::string_view stage) {
    summary(stage, "not reached", "not reached: an earlier stage replied");
  }

  void addNormalization() {
    const std::string mode = "pathNormalization " +
                             std::string(pathNormalizationName(snapshot_.mesh.path_normalization));
    if (stopped_ == StoppedAt::Normalization) {
      const std::string note = outcome_.notes.empty() ? "rejected" : outcome_.notes.front();
      summary("normalization", "rejected", note + " (" + mode + ")");
      return;
    }
    const std::string original(portcullis::http::pathOf(parsed_.target));
    const std::string normalized(portcullis::http::pathOf(normalizedTarget()));
    if (normalized == original) {
      summary("normalization", "unchanged",
              "path \"" + original + "\" is already normal (" + mode + ")");
    } else {
      summary("normalization", "normalized",
              "path \"" + original + "\" becomes \"" + normalized + "\" (" + mode + ")");
    }
  }

  // Trace entries of one action, in evaluation order.
  std::vector<const authz::TraceEntry*> entriesOf(bool custom) const {
    std::vector<const authz::TraceEntry*> entries;
    if (!outcome_.authz_trace) {
      return entries;
    }
    const auto& all = outcome_.authz_trace->entries;
    const size_t end = outcome_.workload ? outcome_.workload_trace_begin : all.size();
    for (size_t i = 0; i < end && i < all.size(); ++i) {
      if ((all[i].action == "CUSTOM") == custom) {
        entries.push_back(&all[i]);
      }
    }
    return entries;
  }

  // The destination workload's stages, as its sidecar would run them: its JWT rules on the
  // request as forwarded, then its policies with the gateway as mTLS peer.
  void addWorkload(const snapshot::DestinationWorkload& workload) {
    const std::string who = workload.origin + " (" + workload.workload.describe() + ")";
    summary("workload", "applies",
            "the endpoint is " + who + "; its policies apply next, with the gateway as mTLS "
            "peer \"" + listener_.principal + "\"");
    if (outcome_.authz_trace) {
      const auto& all = outcome_.authz_trace->entries;
      for (size_t i = outcome_.workload_trace_begin; i < all.size(); ++i) {
        if (all[i].action == "CUSTOM") {
          addPolicyEntry(all[i], "", "workload-custom");
        }
      }
    }
    if (const proxy::ExtAuthzExchange* exchange = exchangeAt(true)) {
      summary("workload-custom", outcome_.custom_refused ? "denied" : "passed",
              customVerdict(*exchange, outcome_.custom_refused));
      if (outcome_.custom_refused) {
        return;
      }
    } else if (outcome_.custom_refused) {
      summary("workload-custom", "denied",
              "a CUSTOM rule matched; " + workload.custom.denial + ": 403");
      return;
    }
    const authn::Result& authn = outcome_.workload_authn;
    if (workload.authn && !workload.authn->empty()) {
      for (const auto& token : authn.tokens) {
        add(json::object{{"stage", "workload-jwt"},
                         {"provider", token.provider},
                         {"issuer", ""},
                         {"location", token.location},
                         {"status", std::string(jwt::statusName(token.status))},
                         {"detail", token.status == jwt::Status::Ok
                                        ? std::string("verified")
                                        : std::string(jwt::statusMessage(token.status))}});
      }
      if (authn.status != jwt::Status::Ok) {
        summary("workload-jwt", "rejected",
                "rejected with 401 \"" + std::string(jwt::statusMessage(authn.status)) + "\"");
        return;
      }
      summary("workload-jwt", authn.identity ? "verified" : "no token",
              authn.identity ? "verified by " + authn.provider->origin
                             : std::string("no token found for the workload's jwtRules"));
    }
    if (!workload.authz || workload.authz->empty()) {
      summary("workload-authz", "allowed", "no AuthorizationPolicy applies to the workload");
      return;
    }
    if (outcome_.authz_trace) {
      const auto& all = outcome_.authz_trace->entries;
      for (size_t i = outcome_.workload_trace_begin; i < all.size(); ++i) {
        if (all[i].action != "CUSTOM") {
          addPolicyEntry(all[i], effectOf(all[i]), "workload-authz");
        }
      }
    }
    const authz::Decision& decision = outcome_.workload_authz;
    if (!decision.allowed && !decision.policy.empty()) {
      summary("workload-authz", "denied",
              "denied by DENY policy " + std::string(decision.policy) + " rule " +
                  std::to_string(decision.rule));
    } else if (!decision.allowed) {
      summary("workload-authz", "denied",
              "denied: ALLOW policies apply to the workload and none of their rules matched");
    } else if (!decision.policy.empty()) {
      summary("workload-authz", "allowed",
              "allowed by ALLOW policy " + std::string(decision.policy) + " rule " +
                  std::to_string(decision.rule));
    } else {
      summary("workload-authz", "allowed",
              "allowed: no DENY rule matched and no enforced ALLOW policy applies");
    }
  }

  void addPolicyEntry(const authz::TraceEntry& entry, std::string effect,
                      std::string_view stage = {}) {
    if (stage.empty()) {
      stage = entry.action == "CUSTOM" ? "custom" : "authz";
    }
    json::object object{{"stage", stage},
                        {"policy", entry.policy},
                        {"action", entry.action},
                        {"rule", entry.rule},
                        {"matched", entry.matched},
                        {"dry_run", entry.dry_run},
                        {"detail", entry.detail + effect}};
    add(std::move(object));
  }

  void addCustom() {
    const auto entries = entriesOf(true);
    if (entries.empty()) {
      summary("custom", "none", "no CUSTOM policy applies to this gateway");
      return;
    }
    for (const authz::TraceEntry* entry : entries) {
      addPolicyEntry(*entry, "");
    }
    const proxy::ExtAuthzExchange* exchange = exchangeAt(false);
    if (stopped_ == StoppedAt::Custom) {
      summary("custom", "denied",
              exchange ? customVerdict(*exchange, true)
                       : "a CUSTOM rule matched; " + listener_.custom.denial + ": 403");
    } else if (exchange) {
      summary("custom", "passed", customVerdict(*exchange, false));
    } else {
      summary("custom", "passed", "no CUSTOM rule matched");
    }
  }

  const proxy::ExtAuthzExchange* exchangeAt(bool at_workload) const {
    for (const auto& exchange : outcome_.ext_authz_exchanges) {
      if (exchange.at_workload == at_workload) {
        return &exchange;
      }
    }
    return nullptr;
  }

  // Describes the provider's response and what it did to the request.
  // `refused`: the exchange ended the request.
  std::string customVerdict(const proxy::ExtAuthzExchange& exchange, bool refused) const {
    const std::string sent = "CUSTOM policy " + exchange.policy + " matched; provider " +
                              exchange.provider + " was sent (" + exchange.request.method + " " +
                              exchange.request.target + ")";
    const unsigned status = exchange.response.status;
    switch (exchange.verdict) {
      case extauthz::Verdict::Allow:
        return sent + " and allowed the request (200)";
      case extauthz::Verdict::Deny:
        return sent + " and denied it with " + std::to_string(status) +
               ", which the client receives with the provider's body";
      case extauthz::Verdict::Error:
        break;
    }
    const std::string failed =
        sent + " and failed (" +
        (status != 0 ? "status " + std::to_string(status) : exchange.response.error) + ")";
    if (refused && outcome_.reply) {
      return failed + "; failOpen is false, so the client gets statusOnError " +
             std::to_string(outcome_.reply->status) + " with an empty body";
    }
    return failed + "; failOpen lets the request go on";
  }

  void addJwt() {
    if (!listener_.authn || listener_.authn->empty()) {
      summary("jwt", "none",
              "no RequestAuthentication applies to this gateway; the request continues without "
              "identity");
      return;
    }
    if (outcome_.authn.cors_bypassed) {
      summary("jwt", "bypassed",
              "CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): JWT "
              "checks are skipped, as Envoy's bypass_cors_preflight does");
      return;
    }
    const authn::Provider* accepted = outcome_.authn.provider;
    bool after_accepted = false;
    for (const auto& provider : listener_.authn->providers()) {
      json::object base{
          {"stage", "jwt"}, {"provider", provider.origin}, {"issuer", provider.issuer}};
      if (after_accepted) {
        base["status"] = "NotChecked";
        base["detail"] = "not checked: " + accepted->origin + " already accepted the token";
        add(std::move(base));
        continue;
      }
      bool found = false;
      for (const auto& token : outcome_.authn.tokens) {
        if (token.provider != provider.origin) {
          continue;
        }
        found = true;
        json::object entry = base;
        entry["location"] = token.location;
        entry["status"] = std::string(jwt::statusName(token.status));
        entry["detail"] = token.status == jwt::Status::Ok
                              ? std::string("verified")
                              : std::string(jwt::statusMessage(token.status));
        add(std::move(entry));
      }
      if (!found) {
        base["location"] = providerLocations(provider);
        base["status"] = std::string(jwt::statusName(jwt::Status::JwtMissed));
        base["detail"] = "no token";
        add(std::move(base));
      }
      after_accepted = &provider == accepted;
    }
    if (stopped_ == StoppedAt::Jwt) {
      summary("jwt", "rejected",
              "rejected with " + std::to_string(outcome_.reply->status) + " \"" +
                  std::string(jwt::statusMessage(outcome_.authn.status)) + "\"");
    } else if (outcome_.authn.identity) {
      const jwt::Jwt& token = *outcome_.authn.identity;
      summary("jwt", "verified",
              "verified by " + accepted->origin + "; request principal \"" + token.iss + "/" +
                  token.sub + "\"");
    } else {
      summary("jwt", "no token",
              "no token found; the request continues without identity, so requestPrincipals "
              "and request.auth conditions cannot match");
    }
  }

  std::string effectOf(const authz::TraceEntry& entry) const {
    if (entry.rule >= 0 || !entry.matched || entry.dry_run) {
      return "";
    }
    if (entry.action == "DENY") {
      return ", so the request is denied";
    }
    if (entry.action == "AUDIT") {
      return ", so the request is marked for audit logging";
    }
    if (entry.action == "ALLOW") {
      return ", so the request is allowed";
    }
    return "";
  }

  void addAuthz() {
    const auto entries = entriesOf(false);
    if (entries.empty()) {
      summary("authz", "allowed",
              "no AuthorizationPolicy with action ALLOW, DENY or AUDIT "
              "applies to this gateway; allowed");
      return;
    }
    for (const authz::TraceEntry* entry : entries) {
      addPolicyEntry(*entry, effectOf(*entry));
    }
    const authz::Decision& decision = outcome_.authz;
    const std::string audit = decision.audit ? " (marked for audit logging)" : "";
    if (!decision.allowed && !decision.policy.empty()) {
      summary("authz", "denied",
              "denied by DENY policy " + std::string(decision.policy) + " rule " +
                  std::to_string(decision.rule) + audit);
    } else if (!decision.allowed) {
      summary(
          "authz", "denied",
          "denied: ALLOW policies apply to this gateway and none of their rules matched" + audit);
    } else if (!decision.policy.empty()) {
      summary("authz", "allowed",
              "allowed by ALLOW policy " + std::string(decision.policy) + " rule " +
                  std::to_string(decision.rule) + audit);
    } else {
      summary("authz", "allowed",
              "allowed: no DENY rule matched and no enforced ALLOW policy applies" + audit);
    }
  }

  void addRouting() {
    const proxy::Forward& forward = outcome_.forward;
    if (!forward.route) {
      summary("routing", "no route",
              "no route of port " + std::to_string(listener_.gateway_port) + " matches host \"" +
                  host_ + "\" and path \"" +
                  std::string(portcullis::http::pathOf(normalizedTarget())) + "\": 404");
      return;
    }
    std::string detail = "routed by " + forward.route->origin;
    if (!forward.cluster) {
      summary("routing", "no upstream",
              detail + ", which has no usable destination: 503 no healthy upstream");
      return;
    }
    detail += " to " + forward.cluster->name;
    if (forward.cluster->endpoints.empty()) {
      summary("routing", "no upstream",
              detail + ", which has no endpoints: 503 no healthy upstream");
      return;
    }
    if (forward.timeout.count() > 0) {
      detail += " with timeout " + std::to_string(forward.timeout.count()) + " ms";
    }
    summary("routing", "routed", detail);
  }

  std::string normalizedTarget() const {
    std::string normalized;
    portcullis::http::normalizeTarget(parsed_.target, snapshot_.mesh.path_normalization,
                                      normalized);
    return normalized;
  }

  const snapshot::Snapshot& snapshot_;
  const snapshot::Listener& listener_;
  const proxy::Outcome& outcome_;
  const ParsedRequest& parsed_;
  std::string host_;
  StoppedAt stopped_;
  json::array stages_;
};

// Headers the upstream receives that the client did not send, or sent with another value.
json::object addedHeaders(const json::object& original, const json::object& upstream) {
  json::object added;
  for (const auto& [name, value] : upstream) {
    const auto* before = original.if_contains(name);
    if (before == nullptr || *before != value) {
      added[name] = value;
    }
  }
  return added;
}

json::array removedHeaders(const json::object& original, const json::object& upstream) {
  json::array removed;
  for (const auto& [name, value] : original) {
    if (!upstream.contains(name)) {
      removed.push_back(json::string(name));
    }
  }
  return removed;
}

// Describes whether the verified token reaches the upstream, and at which location.
json::object tokenJson(const proxy::Outcome& outcome) {
  const authn::Provider& provider = *outcome.authn.provider;
  std::string location;
  for (const auto& token : outcome.authn.tokens) {
    if (token.provider == provider.origin && token.status == jwt::Status::Ok) {
      location = token.location;
      break;
    }
  }
  bool kept = provider.forward_original_token;
  std::string detail;
  if (kept) {
    detail = "kept in " + location + " (forwardOriginalToken: true)";
  } else if (location.starts_with("cookie")) {
    kept = true;
    detail = "kept in " + location + " (cookies are never stripped)";
  } else {
    detail = "stripped from " + location + " (forwardOriginalToken is false)";
  }
  return json::object{{"location", location}, {"kept", kept}, {"detail", detail}};
}

std::string stageLabel(const json::object& entry) {
  const std::string stage(entry.at("stage").as_string());
  if (entry.contains("outcome")) {
    if (stage == "custom") {
      return "CUSTOM";
    }
    if (stage == "jwt") {
      return "JWT";
    }
    if (stage == "authz") {
      return "authorization";
    }
    if (stage == "workload-jwt") {
      return "workload JWT";
    }
    if (stage == "workload-authz") {
      return "workload authorization";
    }
    if (stage == "workload-custom") {
      return "workload CUSTOM";
    }
    return stage;
  }
  if (entry.contains("policy")) {
    if (entry.at("rule").to_number<int64_t>() >= 0) {
      return "";  // a rule line under its policy line
    }
    return std::string(entry.at("action").as_string()) + " " +
           std::string(entry.at("policy").as_string());
  }
  if (entry.contains("provider")) {
    std::string label = (stage == "workload-jwt" ? "workload JWT " : "JWT ") +
                        std::string(entry.at("provider").as_string());
    const auto& issuer = entry.at("issuer").as_string();
    if (!issuer.empty()) {
      label += " (issuer " + std::string(issuer) + ")";
    }
    if (const auto* location = entry.if_contains("location")) {
      label += " at " + std::string(location->as_string());
    }
    return label;
  }
  return stage;
}

void printText(const json::object& result) {
  const auto& request = result.at("request").as_object();
  std::cout << "request: " << request.at("method").as_string().c_str() << " "
            << request.at("url").as_string().c_str() << " (gateway port "
            << request.at("gateway_port").to_number<int64_t>() << ", listening on "
            << request.at("listen_port").to_number<int64_t>() << ")\n";
  for (const auto& value : result.at("stages").as_array()) {
    const auto& entry = value.as_object();
    const std::string label = stageLabel(entry);
    std::string detail(entry.at("detail").as_string());
    // The status name of a rejected token, as jwt_verify_lib names it.
    if (const auto* status = entry.if_contains("status");
        status != nullptr && status->as_string() != "NotChecked" && status->as_string() != "Ok" &&
        status->as_string() != jwt::statusName(jwt::Status::JwtMissed)) {
      detail += " [" + std::string(status->as_string()) + "]";
    }
    if (label.empty()) {
      std::cout << "    " << detail << "\n";
    } else {
      std::cout << label << ": " << detail << "\n";
    }
  }

  if (const auto* checks = result.if_contains("ext_authz")) {
    for (const auto& value : checks->as_array()) {
      const auto& check = value.as_object();
      const auto& sent = check.at("request").as_object();
      std::cout << "ext_authz check to " << check.at("provider").as_string().c_str() << ": "
                << sent.at("method").as_string().c_str() << " "
                << sent.at("path").as_string().c_str() << ", verdict "
                << check.at("verdict").as_string().c_str() << "\n";
      for (const auto& [name, header] : sent.at("headers").as_object()) {
        std::cout << "  " << std::string(name) << ": " << header.as_string().c_str() << "\n";
      }
    }
  }
  std::cout << "answer: " << result.at("status").to_number<int64_t>();
  if (result.contains("upstream")) {
    std::cout << ", forwarded (the upstream's own status is unknown offline)\n";
  } else {
    std::cout << " \"" << result.at("body").as_string().c_str() << "\"\n";
    for (const auto& [name, value] : result.at("headers").as_object()) {
      std::cout << "  " << std::string(name) << ": " << value.as_string().c_str() << "\n";
    }
  }
  if (const auto* principal = result.if_contains("principal")) {
    std::cout << "identity: " << principal->as_string().c_str() << ", claims "
              << json::serialize(result.at("identity")) << "\n";
  }
  if (!result.contains("upstream")) {
    return;
  }
  const auto& upstream = result.at("upstream").as_object();
  std::cout << "upstream request: " << request.at("method").as_string().c_str() << " "
            << upstream.at("path").as_string().c_str() << " to "
            << upstream.at("cluster").as_string().c_str() << "\n";
  if (upstream.at("path") != upstream.at("original_path")) {
    std::cout << "  path changed from " << upstream.at("original_path").as_string().c_str() << "\n";
  }
  if (const auto* token = upstream.if_contains("token")) {
    std::cout << "  token " << token->at("detail").as_string().c_str() << "\n";
  }
  for (const auto& [name, value] : upstream.at("added_headers").as_object()) {
    std::cout << "  + " << std::string(name) << ": " << value.as_string().c_str() << "\n";
  }
  for (const auto& name : upstream.at("removed_headers").as_array()) {
    std::cout << "  - " << name.as_string().c_str() << "\n";
  }
  std::cout << "  headers the upstream receives:\n";
  for (const auto& [name, value] : upstream.at("headers").as_object()) {
    std::cout << "    " << std::string(name) << ": " << value.as_string().c_str() << "\n";
  }
}

}  // namespace

int runCheck(const CheckOptions& options) {
  spdlog::set_level(spdlog::level::warn);
  snapshot::BuildOptions build_options;
  if (!buildOptionsFrom(options.gateway, build_options)) {
    return 2;
  }
  ParsedRequest parsed;
  std::string error;
  if (!parseRequest(options.request, parsed, error)) {
    std::cerr << "portcullis check: " << error << "\n";
    return 2;
  }
  proxy::Request request;
  request.method = parsed.method;
  request.target = parsed.target;
  request.scheme = parsed.scheme;
  request.headers.set(http::field::host, parsed.authority);
  for (const auto& header : options.headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "portcullis check: -H \"" << header << "\": expected 'Name: value'\n";
      return 2;
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    const std::string name = header.substr(0, colon);
    if (boost::beast::iequals(name, "host")) {
      request.headers.set(http::field::host, value);
    } else {
      request.headers.insert(name, value);
    }
  }
  if (!portcullis::http::parseIp(options.peer, request.peer)) {
    std::cerr << "portcullis check: --peer \"" << options.peer << "\" is not an IP address\n";
    return 2;
  }
  request.local = boost::asio::ip::make_address("127.0.0.1");

  config::LoadResult loaded = config::loadPaths(options.gateway.config_paths);
  printDiagnostics(loaded.diagnostics);
  if (!loaded.ok()) {
    std::cerr << "portcullis check: the configuration has errors\n";
    return 2;
  }
  asio::io_context io;
  jwks::Registry registry(io, nullptr);
  snapshot::BuildResult built = snapshot::build(loaded.resources, build_options, registry);
  printDiagnostics(built.diagnostics);
  if (!built.snapshot) {
    std::cerr << "portcullis check: the configuration has errors\n";
    return 2;
  }
  // Remote key sets: wait for each first fetch attempt, bounded by its own timeout.
  while (!registry.allAttempted() && io.run_one_for(std::chrono::seconds(1)) > 0) {
  }

  const auto port_it = build_options.port_map.find(parsed.port);
  request.local_port = port_it != build_options.port_map.end()
                           ? port_it->second
                           : static_cast<uint16_t>(parsed.port);
  const snapshot::Listener* listener = built.snapshot->findListener(request.local_port);
  json::object result;
  if (!listener) {
    std::cerr << "portcullis check: no Gateway of this configuration serves port " << parsed.port
              << "\n";
    return 2;
  }
  authn::KeySets keys;
  for (const auto& source : listener->key_sources) {
    keys.push_back(source->current());
  }
  const json::object original_headers = headersJson(request.headers);
  const std::string host(request.headers[http::field::host]);
  proxy::DecideOptions decide_options;
  decide_options.now = options.now >= 0 ? static_cast<uint64_t>(options.now)
                                        : static_cast<uint64_t>(std::time(nullptr));
  decide_options.trace = true;
  const std::string request_id = proxy::newRequestId();
  proxy::Outcome outcome =
      proxy::process(*built.snapshot, *listener, keys, request, decide_options, request_id);
  // CUSTOM policies: the provider is asked for real, as `serve` would ask it.
  upstream::Pool pool(io.get_executor());
  while (outcome.ext_authz) {
    extauthz::CheckResponse response;
    if (outcome.ext_authz->endpoint) {
      bool answered = false;
      asio::co_spawn(io,
                     extauthz::send(pool, *outcome.ext_authz->endpoint, kConnectTimeout,
                                    outcome.ext_authz->timeout, outcome.ext_authz->request),
                     [&](std::exception_ptr, extauthz::CheckResponse answer) {
                       response = std::move(answer);
                       answered = true;
                     });
      // Key set timers share this context, so it runs until the response arrives, not until idle.
      while (!answered && io.run_one() > 0) {
      }
      if (!answered) {
        response.error = "the check was not sent: the event loop stopped";
      }
    } else {
      response.error = "no healthy upstream";
    }
    proxy::resume(*built.snapshot, *listener, keys, request, decide_options, request_id, response,
                  outcome);
  }

  result["request"] = json::object{{"method", parsed.method},
                                   {"url", parsed.url},
                                   {"gateway_port", listener->gateway_port},
                                   {"listen_port", listener->listen_port}};

  if (outcome.reply) {
    result["status"] = static_cast<int64_t>(outcome.reply->status);
    result["body"] = outcome.reply->body;
    json::object headers;
    if (!outcome.reply->body.empty()) {
      headers["content-type"] = "text/plain";
    }
    for (const auto& [name, value] : outcome.reply->headers) {
      headers[name] = value;
    }
    result["headers"] = std::move(headers);
    result["details"] = outcome.reply->details;
  } else {
    // The upstream's own answer is unknown offline; 200 stands for "forwarded".
    result["status"] = 200;
    result["body"] = "";
    json::object headers;  // what the gateway adds to the upstream's response
    for (const auto& [name, value] : outcome.response_headers) {
      headers[name] = value;
    }
    result["headers"] = std::move(headers);
    result["forwarded"] = true;
    json::object upstream_headers = headersJson(request.headers);
    json::object upstream{{"cluster", outcome.forward.cluster->name},
                          {"path", request.target},
                          {"original_path", parsed.target},
                          {"added_headers", addedHeaders(original_headers, upstream_headers)},
                          {"removed_headers", removedHeaders(original_headers, upstream_headers)}};
    if (outcome.authn.identity) {
      upstream["token"] = tokenJson(outcome);
    }
    upstream["headers"] = std::move(upstream_headers);
    result["upstream"] = std::move(upstream);
  }
  if (outcome.authn.identity) {
    result["identity"] = outcome.authn.identity->payload;
    result["principal"] = outcome.authn.identity->iss + "/" + outcome.authn.identity->sub;
  }
  if (!outcome.ext_authz_exchanges.empty()) {
    result["ext_authz"] = extAuthzJson(outcome);
  }
  result["stages"] = Explanation(*built.snapshot, *listener, outcome, parsed, host).stages();
  result["trace"] = traceJson(outcome);

  if (options.output == "json") {
    std::cout << json::serialize(result) << "\n";
  } else {
    printText(result);
  }
  return 0;
}

}  // namespace portcullis::cli
