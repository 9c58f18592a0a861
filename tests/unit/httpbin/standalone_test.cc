// runStandalone: several threads sharing one port, and shutdown on SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "test_client.h"

namespace portcullis::httpbin::testing {
namespace {

// Returns a loopback port that was free a moment ago. Another process could take it before the
// test binds it, which would fail the test rather than hide a bug.
unsigned short freeLoopbackPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// Tries to connect until a connection succeeds or `timeout` passes.
bool waitUntilListening(const tcp::endpoint& endpoint, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    asio::io_context io;
    tcp::socket socket(io);
    boost::system::error_code error;
    socket.connect(endpoint, error);
    if (!error) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(HttpbinStandalone, ServesUntilSigterm) {
  Options options = loopbackOptions();
  options.listen.port(freeLoopbackPort());
  auto exit_status =
      std::async(std::launch::async, [options] { return runStandalone(options, 2); });
  ASSERT_TRUE(waitUntilListening(options.listen, std::chrono::seconds(10)));

  // Several connections, so both threads' listeners are likely to serve some.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(TestClient(options.listen).get("/get").result_int(), 200);
  }
  TestClient open_connection(options.listen);
  EXPECT_EQ(open_connection.get("/ip").result_int(), 200);

  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_EQ(exit_status.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(exit_status.get(), 0);
  EXPECT_TRUE(open_connection.closedByServer());
}

TEST(HttpbinStandalone, BindFailure) {
  // A listener without SO_REUSEPORT keeps the port from being shared.
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Options options = loopbackOptions();
  options.listen = taken.local_endpoint();
  EXPECT_EQ(runStandalone(options, 2), 1);
}

TEST(HttpbinStandalone, InvalidThreadCount) {
  EXPECT_EQ(runStandalone(loopbackOptions(), 0), 2);
}

}  // namespace
}  // namespace portcullis::httpbin::testing
