// The admin endpoint (default 127.0.0.1:15000): readiness and introspection for operators.
// It runs on the control thread and never on a worker.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace portcullis::admin {

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

// Answers one admin request; runs on the admin io_context's thread.
using Handler = std::function<Response(std::string_view method, std::string_view target)>;

class Server {
 public:
  // Binds `endpoint` at once; throws std::system_error naming the address on failure.
  Server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
         Handler handler);
  ~Server();

  void start();
  boost::asio::ip::tcp::endpoint localEndpoint() const;

  struct State;  // defined in the .cc; shared with the connections it accepts

 private:
  std::shared_ptr<State> state_;
};

// Parses "ADDR:PORT" or "[V6]:PORT"; false when malformed.
bool parseHostPort(std::string_view text, boost::asio::ip::tcp::endpoint& out,
                   std::string& error);

}  // namespace portcullis::admin
