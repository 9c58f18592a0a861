// `portcullis check`: one request through the same pipeline as `serve`, offline, with an
// explanation of the decision.
#include <chrono>
#include <ctime>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli.h"
#include "config/loader.h"
#include "http/client_address.h"
#include "http/path.h"
#include "jwks/registry.h"
#include "proxy/pipeline.h"

namespace portcullis::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

struct ParsedRequest {
  std::string method;
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

void printText(const json::object& result) {
  std::cout << "status: " << result.at("status").to_number<int64_t>() << "\n";
  if (result.contains("upstream")) {
    const auto& upstream = result.at("upstream").as_object();
    std::cout << "forwarded to " << upstream.at("cluster").as_string().c_str() << " as "
              << upstream.at("path").as_string().c_str() << "\n";
    for (const auto& [name, value] : upstream.at("headers").as_object()) {
      std::cout << "  " << std::string(name) << ": " << value.as_string().c_str() << "\n";
    }
  } else {
    std::cout << "body: " << result.at("body").as_string().c_str() << "\n";
    for (const auto& [name, value] : result.at("headers").as_object()) {
      std::cout << "  " << std::string(name) << ": " << value.as_string().c_str() << "\n";
    }
  }
  if (result.contains("identity")) {
    std::cout << "identity: " << json::serialize(result.at("identity")) << "\n";
  }
  std::cout << "trace:\n";
  for (const auto& entry : result.at("trace").as_array()) {
    const auto& object = entry.as_object();
    std::cout << "  [" << object.at("stage").as_string().c_str() << "] ";
    if (object.contains("policy")) {
      std::cout << object.at("action").as_string().c_str() << " "
                << object.at("policy").as_string().c_str() << ": ";
    }
    if (object.contains("location")) {
      std::cout << object.at("provider").as_string().c_str() << " at "
                << object.at("location").as_string().c_str() << ": ";
    }
    std::cout << object.at("detail").as_string().c_str() << "\n";
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
  proxy::DecideOptions decide_options;
  decide_options.now = options.now >= 0 ? static_cast<uint64_t>(options.now)
                                        : static_cast<uint64_t>(std::time(nullptr));
  decide_options.trace = true;
  proxy::Outcome outcome =
      proxy::decide(*built.snapshot, *listener, keys, request, decide_options);

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
    proxy::prepareUpstreamRequest(request, outcome, proxy::newRequestId());
    // The upstream's own answer is unknown offline; 200 stands for "forwarded".
    result["status"] = 200;
    result["body"] = "";
    result["headers"] = json::object{};
    result["forwarded"] = true;
    result["upstream"] = json::object{{"cluster", outcome.forward.cluster->name},
                                      {"path", request.target},
                                      {"headers", headersJson(request.headers)}};
  }
  if (outcome.authn.identity) {
    result["identity"] = outcome.authn.identity->payload;
  }
  result["trace"] = traceJson(outcome);

  if (options.output == "json") {
    std::cout << json::serialize(result) << "\n";
  } else {
    printText(result);
  }
  return 0;
}

}  // namespace portcullis::cli
