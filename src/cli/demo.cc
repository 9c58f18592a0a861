#include "cli/demo.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/demo_assets.h"
#include "httpbin/server.h"

namespace portcullis::cli {

Demo::Demo() {
  httpbin::Options options;
  options.listen = boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
  httpbin_ = std::make_unique<httpbin::Server>(io_, options);
  httpbin_port_ = httpbin_->localEndpoint().port();
  httpbin_->start();
  thread_ = std::thread([this] { io_.run(); });
}

Demo::~Demo() {
  io_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::string Demo::manifests() const {
  std::string jwks_block;
  for (char c : std::string_view(kDemoJwks)) {
    jwks_block += c;
    if (c == '\n') {
      jwks_block += "      ";
    }
  }
  return R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: httpbin-gateway
  namespace: foo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: foo
spec:
  hosts: ["*"]
  gateways: [httpbin-gateway]
  http:
  - route:
    - destination:
        host: httpbin.foo.svc.cluster.local
        port: {number: 8000}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: foo
spec:
  hosts: [httpbin.foo.svc.cluster.local]
  location: MESH_INTERNAL
  ports:
  - {number: 8000, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: {http: )" +
         std::to_string(httpbin_port_) + R"(}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: testing@secure.istio.io
    jwks: |
      )" + jwks_block +
         "\n";
}

void Demo::printInstructions(const snapshot::Snapshot& snapshot) const {
  const snapshot::Listener* listener = nullptr;
  for (const auto& candidate : snapshot.listeners) {
    if (candidate.gateway_port == 80) {
      listener = &candidate;
    }
  }
  if (!listener) {
    return;
  }
  const std::string samples = std::filesystem::path(PORTCULLIS_SAMPLES_DIR) / "istio";
  const std::string url = "http://localhost:" + std::to_string(listener->listen_port);
  spdlog::info(
      "built-in demo: Istio's end-user authentication task, with the built-in httpbin on "
      "127.0.0.1:{} as the upstream. Try:\n"
      "  curl -i {}/headers                                  # no token: 200\n"
      "  curl -i -H \"Authorization: Bearer $(cat {}/demo.jwt)\" {}/headers   # demo token: 200\n"
      "  curl -i -H \"Authorization: Bearer deadbeef\" {}/headers   # bad token: 401",
      httpbin_port_, url, samples, url, url);
}

}  // namespace portcullis::cli
