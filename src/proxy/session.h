// One downstream HTTP/1.1 connection: reads requests, runs the pipeline, and either answers
// locally or streams the request to an upstream and the response back.
#pragma once

#include <cstdint>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace portcullis::proxy {

class Worker;

boost::asio::awaitable<void> serveConnection(Worker& worker, boost::asio::ip::tcp::socket socket,
                                             uint16_t listen_port);

}  // namespace portcullis::proxy
