#include "proxy/session.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "extauthz/client.h"
#include "http/client_address.h"
#include "proxy/pipeline.h"
#include "proxy/worker.h"

namespace portcullis::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kServerName = "portcullis";
// How long a request with an unknown kid waits for the early key set fetch it caused, and how
// often it looks. The fetch has its own timeout (the rule's, 5 s by default).
constexpr auto kKeyRefetchWait = std::chrono::seconds(6);
constexpr auto kKeyRefetchPoll = std::chrono::milliseconds(20);
// The shortest time between two warnings about failed ext_authz checks, per worker.
constexpr auto kCheckWarningInterval = std::chrono::seconds(10);
// Read buffer capacity a connection keeps between requests.
constexpr size_t kIdleBufferBytes = 16 * 1024;
constexpr std::string_view kResetBeforeHeaders =
    "upstream connect error or disconnect/reset before headers. reset reason: ";

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

// Appends "HTTP/1.1 <status> <reason>" and CRLF. An empty `reason` takes the standard one.
void appendStatusLine(std::string& out, unsigned status, std::string_view reason) {
  if (reason.empty()) {
    reason = http::obsolete_reason(static_cast<http::status>(status));
  }
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
}

// Appends each field as "name: value" and CRLF, then the empty line that ends a header.
void appendFields(std::string& out, const http::fields& fields) {
  for (const auto& field : fields) {
    const std::string_view name = field.name_string();
    const std::string_view value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
}

// The Date header value, formatted at most once a second per thread.
std::string_view httpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char cached[64] = {0};
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return cached;
}

bool isPeerGone(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::operation_aborted;
}

// How a forwarded exchange ended, for the client connection.
enum class Ending {
  KeepAlive,  // the response was sent in full; the connection may serve another request
  Close,      // the response was sent in full; close the connection
  Abort,      // the exchange broke part-way; close at once
};

class Session {
 public:
  Session(Worker& worker, tcp::socket socket, uint16_t listen_port)
      : worker_(worker),
        limits_(worker.options().limits),
        stream_(std::move(socket)),
        listen_port_(listen_port) {
    boost::system::error_code ec;
    peer_ = portcullis::http::unmapped(stream_.socket().remote_endpoint(ec).address());
    peer_text_ = peer_.to_string();
    local_ = portcullis::http::unmapped(stream_.socket().local_endpoint(ec).address());
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { worker_.open_connections.fetch_sub(1, std::memory_order_relaxed); }

  asio::awaitable<void> run() {
    while (true) {
      RequestParser parser;
      parser.header_limit(static_cast<uint32_t>(limits_.max_request_header_bytes));
      parser.body_limit(boost::none);  // bodies are streamed, never held whole
      stream_.expires_after(limits_.request_header_timeout);
      auto [ec, bytes] = co_await http::async_read_header(stream_, buffer_, parser, kTuple);
      if (ec) {
        co_await onReadHeaderError(ec, parser.got_some());
        break;
      }
      worker_.counters.add(stats::Counter::DownstreamRequests);
      const Ending ending = co_await handle(parser);
      if (buffer_.capacity() > kIdleBufferBytes) {
        buffer_.shrink_to_fit();  // idle connections keep a small buffer
      }
      if (ending != Ending::KeepAlive) {
        break;
      }
    }
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

 private:
  asio::awaitable<void> onReadHeaderError(const boost::system::error_code& ec, bool got_some) {
    if (isPeerGone(ec) || (ec == beast::error::timeout && !got_some)) {
      co_return;  // the client closed or went quiet between requests
    }
    if (ec == beast::error::timeout) {
      spdlog::debug("closing connection from {}: request header not complete in time",
                    peer_.to_string());
      co_return;
    }
    if (ec == http::error::header_limit) {
      co_await replyLocally(431, "Request Header Fields Too Large", "header_overflow", false,
                            false);
      co_return;
    }
    spdlog::debug("bad request from {}: {}", peer_.to_string(), ec.message());
    co_await replyLocally(400, "Bad Request", "codec_error", false, false);
  }

  asio::awaitable<Ending> handle(RequestParser& parser) {
    auto& message = parser.get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.peer = peer_;
    request.peer_text = peer_text_;
    request.local = local_;
    request.local_port = listen_port_;
    const bool head = message.method() == http::verb::head;
    if (message.target().size() > limits_.max_request_target_bytes) {
      co_await replyLocally(414, "URI Too Long", "uri_too_long", false, head);
      co_return Ending::Close;
    }
    if (static_cast<size_t>(std::distance(message.begin(), message.end())) >
        limits_.max_request_headers) {
      co_await replyLocally(431, "Request Header Fields Too Large", "too_many_headers", false,
                            head);
      co_return Ending::Close;
    }
    if (message.count(http::field::transfer_encoding) != 0 &&
        message.count(http::field::content_length) != 0) {
      // Both framings at once (the parser lets this through when the coding is not chunked).
      co_await replyLocally(400, "Bad Request", "codec_error", false, head);
      co_return Ending::Close;
    }
    if (auto coding = message.find(http::field::transfer_encoding);
        coding != message.end() && (message.count(http::field::transfer_encoding) > 1 ||
                                    !beast::iequals(coding->value(), "chunked"))) {
      // Envoy's HTTP/1 codec supports only the chunked coding and replies 501 to any other
      // Transfer-Encoding value, lists included. The body is never read.
      co_await replyLocally(501, "Not Implemented", "invalid_transfer_encoding", false, head);
      co_return Ending::Close;
    }
    const bool expect_continue = beast::iequals(message[http::field::expect], "100-continue");
    const bool client_keep_alive = parser.keep_alive();
    request.headers = std::move(static_cast<http::fields&>(message));

    // Keeps the snapshot this request decides with alive until it is done.
    const snapshot::View::Pin pin(worker_.view);
    worker_.view.refresh();
    const snapshot::Snapshot* snapshot = worker_.view.snapshot();
    const snapshot::Listener* listener =
        snapshot ? snapshot->findListener(listen_port_) : nullptr;
    if (!listener) {
      co_await replyLocally(503, "no listener for this port", "no_listener", false, head);
      co_return Ending::Close;
    }

    DecideOptions options;
    options.now = static_cast<uint64_t>(std::time(nullptr));
    options.token_cache = &worker_.token_cache;
    options.endpoint_cursor = &worker_.next_endpoint;
    options.workload_keys = &worker_.view.workloadKeys();
    const std::string request_id = newRequestId();
    Outcome outcome = process(*snapshot, *listener, worker_.view.keysFor(*listener), request,
                              options, request_id);
    if (outcome.ext_authz) {  // no coroutine frame for requests without a check
      co_await runChecks(*snapshot, *listener, request, options, request_id, outcome);
    }
    if (outcome.reply) {
      // A token named a key id its key set lacks, as after a key rotation: fetch the key set
      // again (at most once per source every 30 s) and decide again.
      const bool at_gateway = outcome.workload == nullptr;
      const auto& sources = at_gateway ? listener->key_sources : outcome.workload->key_sources;
      const auto& slots =
          at_gateway ? outcome.authn.unknown_kid_slots : outcome.workload_authn.unknown_kid_slots;
      if (!slots.empty() && co_await refetchKeys(sources, slots)) {
        worker_.view.refresh();
        if (at_gateway) {
          snapshot = worker_.view.snapshot();
          listener = snapshot->findListener(listen_port_);
          if (!listener) {
            co_await replyLocally(503, "no listener for this port", "no_listener", false, head);
            co_return Ending::Close;
          }
          options.workload_keys = &worker_.view.workloadKeys();
          // A provider that already allowed the request is not asked again; the headers it
          // sent for the client stay.
          options.gateway_custom_done = outcome.gateway_custom_done;
          extauthz::HeaderList response_headers = std::move(outcome.response_headers);
          outcome = process(*snapshot, *listener, worker_.view.keysFor(*listener), request,
                            options, request_id);
          outcome.response_headers.insert(outcome.response_headers.begin(),
                                          response_headers.begin(), response_headers.end());
          if (outcome.ext_authz) {
            co_await runChecks(*snapshot, *listener, request, options, request_id, outcome);
          }
        } else if (worker_.view.snapshot() == snapshot) {
          // The request is already prepared for the upstream: only its workload's stage runs
          // again, with the same snapshot's fresh key sets.
          options.workload_keys = &worker_.view.workloadKeys();
          decideDestination(*snapshot, *listener, request, options, outcome);
          if (outcome.ext_authz) {
            co_await runChecks(*snapshot, *listener, request, options, request_id, outcome);
          }
        }
      }
    }
    countDecision(outcome);
    if (outcome.reply) {
      // A body the client is still sending is not read; closing is the only safe framing.
      // After a malformed request (400) the connection is closed too, as Envoy does.
      const bool keep_alive =
          client_keep_alive && parser.is_done() && outcome.reply->status != 400;
      co_await writeLocalReply(*outcome.reply, keep_alive, head);
      co_return keep_alive ? Ending::KeepAlive : Ending::Close;
    }
    co_return co_await forward(parser, request, outcome, client_keep_alive, head,
                               expect_continue);
  }

  // Sends the ext_authz checks the pipeline stops for, one at a time, and resumes it with each
  // response.
  asio::awaitable<void> runChecks(const snapshot::Snapshot& snapshot,
                                  const snapshot::Listener& listener, Request& request,
                                  const DecideOptions& options, const std::string& request_id,
                                  Outcome& outcome) {
    if (!outcome.ext_authz) {
      co_return;
    }
    // Other requests of this worker may move the view to a newer snapshot while a check is
    // pending, so the stages after it read the key sets from the sources of `snapshot` itself.
    DecideOptions resumed = options;
    resumed.workload_keys = nullptr;
    authn::KeySets keys;
    while (outcome.ext_authz) {
      const ExtAuthzCall& call = *outcome.ext_authz;
      extauthz::CheckResponse response;
      if (call.endpoint) {
        response = co_await extauthz::send(worker_.pool, *call.endpoint, limits_.connect_timeout,
                                           call.timeout, call.request);
      } else {
        response.error = "no healthy upstream";
      }
      const extauthz::Verdict verdict = extauthz::classify(response);
      countCheck(verdict, call.provider->http.fail_open);
      if (verdict == extauthz::Verdict::Error) {
        warnCheckFailed(call, response);
      }
      keys.clear();
      for (const auto& source : listener.key_sources) {
        keys.push_back(source ? source->current() : nullptr);
      }
      resume(snapshot, listener, keys, request, resumed, request_id, response, outcome);
    }
  }

  void countCheck(extauthz::Verdict verdict, bool fail_open) {
    switch (verdict) {
      case extauthz::Verdict::Allow:
        worker_.counters.add(stats::Counter::ExtAuthzAllowed);
        break;
      case extauthz::Verdict::Deny:
        worker_.counters.add(stats::Counter::ExtAuthzDenied);
        break;
      case extauthz::Verdict::Error:
        worker_.counters.add(stats::Counter::ExtAuthzErrors);
        if (fail_open) {
          worker_.counters.add(stats::Counter::ExtAuthzFailedOpen);
        }
        break;
    }
  }

  // Logs a failed check at most once per kCheckWarningInterval per worker, with the number of
  // failures since the last line.
  void warnCheckFailed(const ExtAuthzCall& call, const extauthz::CheckResponse& response) {
    ++worker_.check_failures_unlogged;
    const auto now = Clock::now();
    if (now - worker_.last_check_warning < kCheckWarningInterval) {
      return;
    }
    const std::string reason =
        response.status != 0 ? "status " + std::to_string(response.status) : response.error;
    spdlog::warn("ext_authz provider {} at {}: check failed ({}); {} failed check(s) since the "
                 "last warning; {}",
                 call.provider->name,
                 call.endpoint ? call.endpoint->host + ":" + std::to_string(call.endpoint->port)
                               : std::string("no endpoint"),
                 reason, worker_.check_failures_unlogged,
                 call.provider->http.fail_open
                     ? "failOpen lets such requests through"
                     : "such requests get statusOnError " +
                           std::to_string(call.provider->http.status_on_error));
    worker_.check_failures_unlogged = 0;
    worker_.last_check_warning = now;
  }

  void countResponse(unsigned status) {
    static constexpr stats::Counter kByClass[] = {
        stats::Counter::Responses1xx, stats::Counter::Responses1xx, stats::Counter::Responses2xx,
        stats::Counter::Responses3xx, stats::Counter::Responses4xx, stats::Counter::Responses5xx};
    worker_.counters.add(kByClass[std::min(status / 100, 5u)]);
  }

  void countDecision(const Outcome& outcome) {
    if (outcome.authn.identity) {
      worker_.counters.add(stats::Counter::JwtVerified);
    }
    if (outcome.authn.cors_bypassed) {
      worker_.counters.add(stats::Counter::JwtCorsBypassed);
    }
    if (outcome.authn.status != jwt::Status::Ok) {
      worker_.counters.add(stats::Counter::JwtRejected);
    } else if (outcome.reply && outcome.reply->status == 403 && !outcome.authz.allowed) {
      worker_.counters.add(stats::Counter::RbacDenied);
    } else if (outcome.reply && outcome.reply->status == 404) {
      worker_.counters.add(stats::Counter::RouteNotFound);
    }
  }

  // Asks the key sources at `slots` for an early fetch and waits until they finished. False
  // when no source would fetch (inline keys, or one fetched early moments ago).
  asio::awaitable<bool> refetchKeys(const std::vector<std::shared_ptr<jwks::KeySource>>& sources,
                                    const std::vector<size_t>& slots) {
    std::vector<std::pair<std::shared_ptr<jwks::KeySource>, uint64_t>> pending;
    for (size_t slot : slots) {
      if (slot >= sources.size()) {
        continue;
      }
      const auto& source = sources[slot];
      const uint64_t attempts = source->attempts();
      if (source->requestRefresh()) {
        worker_.counters.add(stats::Counter::KeyRefetchesRequested);
        pending.emplace_back(source, attempts);
      }
    }
    if (pending.empty()) {
      co_return false;
    }
    asio::steady_timer timer(stream_.get_executor());
    const auto deadline = Clock::now() + kKeyRefetchWait;
    while (Clock::now() < deadline) {
      bool done = true;
      for (const auto& [source, attempts] : pending) {
        done = done && source->attempts() != attempts;
      }
      if (done) {
        break;
      }
      timer.expires_after(kKeyRefetchPoll);
      co_await timer.async_wait(kTuple);
    }
    co_return true;
  }

  // A local reply built from views. Call sites pass no temporaries with destructors into the
  // co_await expression: GCC 12 can destroy such temporaries twice when the coroutine resumes.
  asio::awaitable<void> replyLocally(unsigned status, std::string_view body,
                                     std::string_view details, bool keep_alive, bool head) {
    LocalReply reply;
    reply.status = status;
    reply.body = body;
    reply.details = details;
    co_await writeLocalReply(reply, keep_alive, head);
  }

  // Formats the reply by hand into one buffer, which costs a fraction of Beast's serializer for
  // these small messages, and sends it in one write.
  asio::awaitable<void> writeLocalReply(const LocalReply& reply, bool keep_alive, bool head) {
    std::string& out = reply_buffer_;
    out.clear();
    appendStatusLine(out, reply.status, {});
    out += "Server: ";
    out += kServerName;
    out += "\r\nDate: ";
    out += httpDate();
    // A provider's denial may bring its own Content-Type.
    const bool typed = std::any_of(reply.headers.begin(), reply.headers.end(), [](const auto& h) {
      return beast::iequals(h.first, "content-type");
    });
    if (!reply.body.empty() && !typed) {
      out += "\r\nContent-Type: text/plain";
    }
    for (const auto& [name, value] : reply.headers) {
      out += "\r\n";
      out += name;
      out += ": ";
      out += value;
    }
    out += "\r\nContent-Length: ";
    out += std::to_string(reply.body.size());  // HEAD too: the length a GET would get
    if (!keep_alive) {
      out += "\r\nConnection: close";
    }
    out += "\r\n\r\n";
    if (!head) {
      out += reply.body;
    }
    countResponse(reply.status);
    stream_.expires_after(limits_.idle_timeout);
    co_await asio::async_write(stream_, asio::buffer(out), kTuple);
  }

  // Sends "100 Continue" so that a client waiting for it starts sending the body.
  asio::awaitable<bool> sendContinue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(limits_.idle_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(kContinue), kTuple);
    co_return !ec;
  }

  // Streams the request header and body to the upstream and returns the error that stopped it.
  // `client_failed` is set when the client side broke. The header is formatted by hand and the
  // body framed directly (chunked when the request is), which costs far less than Beast's
  // serializer on this path.
  asio::awaitable<boost::system::error_code> sendRequest(
      upstream::Connection& connection, RequestParser& parser,
      http::request<http::buffer_body>& upstream_request, bool expect_continue,
      bool& client_failed) {
    std::string& header = header_buffer_;
    header.clear();
    header.append(upstream_request.method_string());
    header += ' ';
    header.append(upstream_request.target());
    header += " HTTP/1.1\r\n";
    appendFields(header, upstream_request);
    const bool chunked = upstream_request.chunked();
    std::string_view pending_header = header;  // not sent yet
    // The header goes out alone only when body bytes are yet to come from the client;
    // otherwise it leaves in one write with the body's first piece.
    if (!parser.is_done() && buffer_.size() == 0) {
      connection.stream.expires_after(limits_.idle_timeout);
      auto [ec, n] = co_await asio::async_write(connection.stream, asio::buffer(pending_header),
                                                kTuple);
      if (ec) {
        co_return ec;
      }
      pending_header = {};
    }
    if (!parser.is_done() && expect_continue && !co_await sendContinue()) {
      client_failed = true;
      co_return asio::error::connection_aborted;
    }
    std::optional<BufferPool::Lease> buffer;
    if (!parser.is_done()) {
      buffer.emplace(worker_.buffers);
      // Beast reads at most the free capacity of the buffer (512 bytes at least): make room
      // for whole chunks while the body streams. handle() shrinks it again afterwards.
      buffer_.reserve(limits_.body_chunk_bytes);
    }
    while (true) {
      size_t got = 0;
      if (!parser.is_done()) {
        parser.get().body().data = buffer->data();
        parser.get().body().size = limits_.body_chunk_bytes;
        stream_.expires_after(limits_.idle_timeout);
        auto [read_ec, read] = co_await http::async_read_some(stream_, buffer_, parser, kTuple);
        if (read_ec && read_ec != http::error::need_buffer) {
          client_failed = true;
          co_return read_ec;  // forward() answers 400 when the body was malformed
        }
        got = limits_.body_chunk_bytes - parser.get().body().size;
        if (got == 0 && !parser.is_done()) {
          continue;  // only framing (a chunk header) was parsed
        }
      }
      const bool last = parser.is_done();
      connection.stream.expires_after(limits_.idle_timeout);
      const boost::system::error_code write_ec = co_await writeBodyPiece(
          connection.stream, pending_header, chunked, got != 0 ? buffer->data() : nullptr, got,
          last);
      if (write_ec) {
        co_return write_ec;
      }
      pending_header = {};
      if (last) {
        co_return boost::system::error_code{};
      }
    }
  }

  // Writes, in one gathered write, what is still pending of a message header, one piece of
  // its body (framed as a chunk when `chunked`) and, when `last`, the last-chunk of a chunked
  // body. Writes nothing when all of these are empty.
  asio::awaitable<boost::system::error_code> writeBodyPiece(beast::tcp_stream& stream,
                                                            std::string_view pending_header,
                                                            bool chunked, const char* data,
                                                            size_t size, bool last) {
    static constexpr std::string_view kCrlf = "\r\n";
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    std::array<asio::const_buffer, 5> buffers;
    size_t count = 0;
    if (!pending_header.empty()) {
      buffers[count++] = asio::buffer(pending_header);
    }
    if (size != 0) {
      if (chunked) {
        const auto end = std::to_chars(chunk_size_line_.data(), chunk_size_line_.data() + 16,
                                       size, 16).ptr;
        std::memcpy(end, kCrlf.data(), kCrlf.size());
        buffers[count++] = asio::buffer(chunk_size_line_.data(),
                                        static_cast<size_t>(end + 2 - chunk_size_line_.data()));
      }
      buffers[count++] = asio::buffer(data, size);
      if (chunked) {
        buffers[count++] = asio::buffer(kCrlf);
      }
    }
    if (chunked && last) {
      buffers[count++] = asio::buffer(kLastChunk);
    }
    if (count == 0) {
      co_return boost::system::error_code{};
    }
    auto [ec, written] = co_await asio::async_write(stream, buffers, kTuple);
    co_return ec;
  }

  // Reads the upstream response header, skipping interim 1xx responses.
  asio::awaitable<boost::system::error_code> readResponseHeader(
      upstream::Connection& connection, std::optional<ResponseParser>& parser, bool head,
      Clock::time_point deadline) {
    while (true) {
      parser.emplace();
      parser->header_limit(static_cast<uint32_t>(limits_.max_response_header_bytes));
      parser->body_limit(boost::none);
      if (head) {
        parser->skip(true);
      }
      connection.stream.expires_at(std::min(deadline, Clock::now() + limits_.idle_timeout));
      auto [ec, n] = co_await http::async_read_header(connection.stream, connection.buffer,
                                                      *parser, kTuple);
      if (ec) {
        co_return ec;
      }
      const unsigned status = parser->get().result_int();
      if (status < 100 || status >= 200 || status == 101) {
        co_return boost::system::error_code{};
      }
    }
  }

  // Streams the upstream response to the client, with the header formatted by hand and the
  // body framed directly, as sendRequest() does. A response to HEAD gets no body bytes.
  asio::awaitable<Ending> relayResponse(upstream::ConnectionPtr connection, ResponseParser& parser,
                                        const Outcome& outcome, bool client_keep_alive,
                                        bool head) {
    if (!parser.is_done()) {
      connection->buffer.reserve(limits_.body_chunk_bytes);  // see sendRequest
    }
    auto& upstream_response = parser.get();
    const bool has_length = upstream_response.has_content_length() ||
                            upstream_response.chunked() || parser.is_done();
    const bool upstream_keep_alive = parser.keep_alive();
    const unsigned status = upstream_response.result_int();
    http::fields& fields = upstream_response;
    removeHopByHopHeaders(fields);
    fields.set(http::field::server, kServerName);
    if (const snapshot::Route* route = outcome.forward.route) {
      for (const auto& name : route->response_headers.remove) {
        fields.erase(name);
      }
      for (const auto& [name, value] : route->response_headers.set) {
        fields.set(name, value);
      }
      for (const auto& [name, value] : route->response_headers.add) {
        fields.insert(name, value);
      }
    }
    for (const auto& [name, value] : outcome.response_headers) {
      fields.insert(name, value);  // headersToDownstreamOnAllow
    }
    // A body that ends when the upstream closes can only end the same way downstream.
    const bool keep_alive = client_keep_alive && has_length;
    if (!keep_alive) {
      fields.set(http::field::connection, "close");
    }
    const bool chunked = upstream_response.chunked() && !head;
    countResponse(status);

    std::string& header = header_buffer_;
    header.clear();
    appendStatusLine(header, status, upstream_response.reason());
    appendFields(header, fields);
    std::string_view pending_header = header;
    // As for requests: the header waits for the body's first piece when it is already here.
    if (!parser.is_done() && connection->buffer.size() == 0) {
      stream_.expires_after(limits_.idle_timeout);
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(pending_header), kTuple);
      if (ec) {
        co_return Ending::Abort;
      }
      pending_header = {};
    }
    std::optional<BufferPool::Lease> buffer;
    if (!parser.is_done()) {
      buffer.emplace(worker_.buffers);
    }
    while (true) {
      size_t got = 0;
      if (!parser.is_done()) {
        parser.get().body().data = buffer->data();
        parser.get().body().size = limits_.body_chunk_bytes;
        connection->stream.expires_after(limits_.idle_timeout);
        auto [read_ec, read] =
            co_await http::async_read_some(connection->stream, connection->buffer, parser, kTuple);
        if (read_ec == http::error::end_of_stream && !has_length) {
          read_ec = {};  // the body ends at the upstream's close
        }
        if (read_ec && read_ec != http::error::need_buffer) {
          spdlog::debug("upstream {} failed mid-response: {}", connection->key,
                        read_ec.message());
          co_return Ending::Abort;
        }
        got = limits_.body_chunk_bytes - parser.get().body().size;
        if (got == 0 && !parser.is_done()) {
          continue;  // only framing was parsed; see sendRequest
        }
      }
      const bool last = parser.is_done();
      stream_.expires_after(limits_.idle_timeout);
      const boost::system::error_code write_ec =
          co_await writeBodyPiece(stream_, pending_header, chunked,
                                  got != 0 && !head ? buffer->data() : nullptr, head ? 0 : got,
                                  last);
      if (write_ec) {
        co_return Ending::Abort;
      }
      pending_header = {};
      if (last) {
        break;
      }
    }

    if (upstream_keep_alive && parser.is_done() && has_length) {
      worker_.pool.release(std::move(connection));
    }
    co_return keep_alive ? Ending::KeepAlive : Ending::Close;
  }

  asio::awaitable<Ending> forward(RequestParser& parser, Request& request,
                                  const Outcome& outcome, bool client_keep_alive, bool head,
                                  bool expect_continue) {
    const snapshot::Endpoint& endpoint = *outcome.forward.endpoint;
    const auto deadline = outcome.forward.timeout.count() > 0
                              ? Clock::now() + outcome.forward.timeout
                              : Clock::time_point::max();
    const bool replayable = parser.is_done();  // no body left to stream

    // The fields object also stores the start line, so it is moved in first.
    http::request<http::buffer_body> upstream_request;
    static_cast<http::fields&>(upstream_request) = std::move(request.headers);
    upstream_request.method_string(request.method);
    upstream_request.target(request.target);
    upstream_request.version(11);

    // A pooled connection the upstream closed meanwhile fails on first use; a request
    // without a body is then sent once more on a new connection.
    for (int attempt = 0;; ++attempt) {
      std::string connect_error;
      upstream::ConnectionPtr connection =
          co_await worker_.pool.acquire(endpoint, limits_.connect_timeout,
                                        /*check_idle=*/!replayable || attempt > 0, connect_error);
      if (!connection) {
        worker_.counters.add(stats::Counter::UpstreamConnectFailures);
        const std::string body = std::string(kResetBeforeHeaders) +
                                 "connection failure, transport failure reason: " + connect_error;
        co_return co_await failBeforeHeaders(parser, client_keep_alive, head, 503, body);
      }
      bool client_failed = false;
      boost::system::error_code ec = co_await sendRequest(*connection, parser, upstream_request,
                                                          expect_continue, client_failed);
      if (client_failed) {
        if (!isPeerGone(ec) && ec != beast::error::timeout) {
          // A malformed body (an invalid chunk size, say): no response has started yet.
          spdlog::debug("bad request body from {}: {}", peer_.to_string(), ec.message());
          co_await replyLocally(400, "Bad Request", "codec_error", false, head);
          co_return Ending::Close;
        }
        co_return Ending::Abort;
      }
      std::optional<ResponseParser> response_parser;
      if (!ec) {
        ec = co_await readResponseHeader(*connection, response_parser, head, deadline);
      }
      if (!ec) {
        co_return co_await relayResponse(std::move(connection), *response_parser, outcome,
                                         client_keep_alive && parser.is_done(), head);
      }
      if (connection->reused && replayable && attempt == 0 && isPeerGone(ec)) {
        continue;
      }
      if (ec == beast::error::timeout) {
        worker_.counters.add(stats::Counter::UpstreamTimeouts);
        co_return co_await failBeforeHeaders(parser, client_keep_alive, head, 504,
                                             "upstream request timeout");
      }
      if (isPeerGone(ec)) {
        worker_.counters.add(stats::Counter::UpstreamResets);
        const std::string body = std::string(kResetBeforeHeaders) + "connection termination";
        co_return co_await failBeforeHeaders(parser, client_keep_alive, head, 503, body);
      }
      spdlog::debug("invalid response from upstream {}: {}", connection->key, ec.message());
      worker_.counters.add(stats::Counter::UpstreamProtocolErrors);
      const std::string body = std::string(kResetBeforeHeaders) + "protocol error";
      co_return co_await failBeforeHeaders(parser, client_keep_alive, head, 502, body);
    }
  }

  asio::awaitable<Ending> failBeforeHeaders(RequestParser& parser, bool client_keep_alive,
                                            bool head, unsigned status, std::string_view body) {
    const bool keep_alive = client_keep_alive && parser.is_done();
    co_await replyLocally(status, body, "upstream_failure", keep_alive, head);
    co_return keep_alive ? Ending::KeepAlive : Ending::Close;
  }

  Worker& worker_;
  const Limits& limits_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string reply_buffer_;   // the local reply being written
  std::string header_buffer_;  // the message header being forwarded
  std::array<char, 24> chunk_size_line_{};  // "<hex size>\r\n" of the chunk being written
  uint16_t listen_port_;
  boost::asio::ip::address peer_;
  std::string peer_text_;
  boost::asio::ip::address local_;
};

}  // namespace

asio::awaitable<void> serveConnection(Worker& worker, tcp::socket socket, uint16_t listen_port) {
  Session session(worker, std::move(socket), listen_port);
  co_await session.run();
}

}  // namespace portcullis::proxy
