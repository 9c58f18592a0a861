// The built-in demo behind `portcullis serve` without --config: Istio's end-user
// authentication task, served offline with the built-in httpbin as the upstream.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "snapshot/snapshot.h"

namespace portcullis::httpbin {
class Server;
}

namespace portcullis::cli {

class Demo {
 public:
  // Starts the built-in httpbin on 127.0.0.1 at a free port, on its own thread.
  Demo();
  ~Demo();

  // The demo's manifests: a Gateway on port 80, a VirtualService to httpbin, a ServiceEntry
  // for the local httpbin, and a RequestAuthentication for Istio's demo issuer.
  std::string manifests() const;

  // Logs how to try the demo with curl.
  void printInstructions(const snapshot::Snapshot& snapshot) const;

 private:
  boost::asio::io_context io_{1};
  std::unique_ptr<httpbin::Server> httpbin_;
  uint16_t httpbin_port_ = 0;
  std::thread thread_;
};

}  // namespace portcullis::cli
