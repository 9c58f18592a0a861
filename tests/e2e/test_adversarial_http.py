"""Attacks on the HTTP layer of `portcullis serve`: request smuggling and framing, size limits,
slow clients and connection floods, and path tricks against path rules.

Every gateway here routes to a RecordingUpstream, which keeps each byte it receives. For each
attack a test checks the response (status and body), what reached the upstream, and that a
normal request right after is still served. The expected responses are Envoy's, as an Istio
ingress gateway sends them. Where Portcullis responds otherwise, the test fails on purpose.

The suites test_adversarial_tokens.py, test_adversarial_deps.py and test_load.py import the
upstream, the gateway launcher and the raw-socket helpers from here.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pytest

from harness import (DATA_DIR, DEMO_ISSUER, START_TIMEOUT, Gateway, GatewaySupply, Launcher,
                     Response, StartError, demo_jwks, eventually, free_port, gateway_argv,
                     http_request, make_config_dir, raw_connect, render)

# Fixtures: importing them makes pytest use them in this module.
from harness import launcher, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

ADVERSARIAL_DIR = DATA_DIR / "adversarial"
ADVERSARIAL = "adversarial/"  # prefix of this folder's templates for harness.render

RBAC_DENIED = "RBAC: access denied"
BAD_REQUEST = "Bad Request"
# Seconds a connection is watched, after the expected responses, for the gateway to close it.
CLOSE_WAIT = 0.3
# Seconds the upstream gets to record the bytes of an exchange after the client's response.
SETTLE = 0.05


# --- The recording upstream ----------------------------------------------------------------

@dataclass
class Received:
    """A request the recording upstream read, or the bytes it could not read as one."""
    connection: int  # the upstream's own count of accepted connections, from 0
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    # False when the connection ended before the request did, or the framing was invalid. The
    # bytes that could not be read as a request are then in `body`.
    complete: bool

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class _UpstreamConnection:
    def __init__(self, number: int, sock: socket.socket):
        self.number = number
        self.sock = sock
        self.raw = bytearray()


@dataclass
class UpstreamMark:
    """A point in what the upstream received: counts of requests and of bytes per connection."""
    requests: int
    bytes_per_connection: list[int]


class RecordingUpstream:
    """An HTTP/1.1 upstream on 127.0.0.1 that records every byte and every request it receives.

    It responds by path:
      .../hang...     reads the request and never responds
      .../reset...    sends the start of a 100000-byte response, then resets the connection
      .../garbage...  sends bytes that are not an HTTP response, then closes
      anything else   200 with JSON {"method", "target", "body_bytes"}, keep-alive
    A request with a chunked body gets a response with "Connection: close", unless its path
    contains /keep. The bytes the gateway sends after such a body are then recorded as an
    incomplete request instead of being read as the next one. After responding to /keep,
    the upstream waits 0.2 s before it reads on, as a busy server would, so that the gateway
    has put the connection back in its pool by then. A request whose framing it cannot read (a
    Transfer-Encoding without a final chunked, a request line that is not one) gets 400 and
    the connection is closed.
    """

    def __init__(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._connections: list[_UpstreamConnection] = []
        self._received: list[Received] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join()
        self.drop_connections()

    def drop_connections(self) -> None:
        """Close every connection, so the gateway's pool starts afresh."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    def mark(self) -> UpstreamMark:
        with self._lock:
            return UpstreamMark(len(self._received),
                                [len(connection.raw) for connection in self._connections])

    def received_since(self, mark: UpstreamMark) -> list[Received]:
        with self._lock:
            return list(self._received[mark.requests:])

    def bytes_since(self, mark: UpstreamMark) -> bytes:
        """Return every byte received since `mark`, the connections one after the other."""
        with self._lock:
            out = bytearray()
            for index, connection in enumerate(self._connections):
                start = (mark.bytes_per_connection[index]
                         if index < len(mark.bytes_per_connection) else 0)
                out += connection.raw[start:]
            return bytes(out)

    # The rest runs on the upstream's threads: one accepts, one serves each connection.

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                connection = _UpstreamConnection(len(self._connections), sock)
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _receive(self, connection: _UpstreamConnection, buffer: bytearray) -> bool:
        """Append the next bytes of the connection to `buffer`. False at its end."""
        try:
            data = connection.sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        with self._lock:
            connection.raw += data
        buffer += data
        return True

    def _record(self, request: Received) -> None:
        with self._lock:
            self._received.append(request)

    def _serve(self, connection: _UpstreamConnection) -> None:
        with connection.sock:
            buffer = bytearray()
            while self._serve_one(connection, buffer):
                pass

    def _serve_one(self, connection: _UpstreamConnection, buffer: bytearray) -> bool:
        """Read one request and respond to it. False when the connection is done."""
        while b"\r\n\r\n" not in buffer:
            if not self._receive(connection, buffer):
                if buffer:
                    self._record(Received(connection.number, "", "", [], bytes(buffer), False))
                return False
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        buffer[:] = rest
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0].split(" ")
        if len(request_line) != 3 or not request_line[2].startswith("HTTP/"):
            self._record(Received(connection.number, "", "", [], head + b"\r\n\r\n", False))
            self._send(connection, 400, b"invalid request line", close=True)
            return False
        method, target, _ = request_line
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        request = Received(connection.number, method, target, headers, b"", False)

        encodings = [part.strip().lower()
                     for value in request.header_values("transfer-encoding")
                     for part in value.split(",")]
        chunked = bool(encodings) and encodings[-1] == "chunked"
        if encodings and not chunked:
            self._record(request)
            self._send(connection, 400, b"unsupported transfer-encoding", close=True)
            return False
        body = (self._read_chunked(connection, buffer) if chunked
                else self._read_sized(connection, buffer, request))
        if body is None:
            request.body = bytes(buffer)
            self._record(request)
            return False
        request.body = body
        request.complete = True
        self._record(request)
        close_after = chunked and "/keep" not in request.path
        if not self._respond(connection, request, close_after):
            return False
        if close_after:
            self._record_rest(connection, buffer)
            return False
        if "/keep" in request.path:
            time.sleep(0.2)
        return True

    def _read_sized(self, connection, buffer: bytearray, request: Received) -> bytes | None:
        lengths = request.header_values("content-length")
        if not lengths:
            return b""
        try:
            length = int(lengths[0])
        except ValueError:
            return None
        while len(buffer) < length:
            if not self._receive(connection, buffer):
                return None
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def _read_line(self, connection, buffer: bytearray) -> bytes | None:
        while b"\r\n" not in buffer:
            if not self._receive(connection, buffer):
                return None
        line, _, rest = bytes(buffer).partition(b"\r\n")
        buffer[:] = rest
        return line

    def _read_chunked(self, connection, buffer: bytearray) -> bytes | None:
        body = bytearray()
        while True:
            line = self._read_line(connection, buffer)
            if line is None:
                return None
            try:
                size = int(line.split(b";")[0], 16)
            except ValueError:
                return None
            if size == 0:
                break
            while len(buffer) < size + 2:
                if not self._receive(connection, buffer):
                    return None
            body += buffer[:size]
            del buffer[:size + 2]
        while True:  # trailer fields, up to the empty line
            line = self._read_line(connection, buffer)
            if line is None:
                return None
            if not line:
                return bytes(body)

    def _record_rest(self, connection, buffer: bytearray) -> None:
        """Record what arrives until the gateway closes (at most 2 s) as an incomplete request."""
        connection.sock.settimeout(2.0)
        while self._receive(connection, buffer):
            pass
        if buffer:
            self._record(Received(connection.number, "", "", [], bytes(buffer), False))

    def _respond(self, connection, request: Received, close: bool) -> bool:
        sock = connection.sock
        try:
            if "/hang" in request.path:
                self._stopping.wait()
                return False
            if "/reset" in request.path:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
                time.sleep(0.1)
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            if "/garbage" in request.path:
                sock.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
                return False
            echo = {"method": request.method, "target": request.target,
                    "body_bytes": len(request.body)}
            self._send(connection, 200, json.dumps(echo).encode(), close)
            return True
        except OSError:
            return False

    @staticmethod
    def _send(connection, status: int, body: bytes, close: bool) -> None:
        head = (f"HTTP/1.1 {status} {http.client.responses.get(status, 'Status')}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n")
        if close:
            head += "Connection: close\r\n"
        with contextlib.suppress(OSError):
            connection.sock.sendall(head.encode() + b"\r\n" + body)


@pytest.fixture(scope="module")
def upstream():
    server = RecordingUpstream()
    yield server
    server.stop()


# --- Gateways ------------------------------------------------------------------------------

def start_edge_gateway(launcher: Launcher, config_dir: Path, flags: Sequence[str] = (), *,
                       workers: int = 2, wait_ready: bool = True) -> Gateway:
    """Start `portcullis serve` on `config_dir` with extra command-line `flags`.

    Works as harness.start_gateway, which takes no extra flags: waits for GET /ready to return
    200 (with wait_ready False, for the admin port to accept requests), and retries on other
    ports when one was taken meanwhile.
    """
    def started(status: int | None) -> bool:
        return status == 200 if wait_ready else status is not None

    last_log, status = "", None
    for _ in range(3):
        port, admin_port = free_port(), free_port()
        argv = gateway_argv(port, admin_port, config_dir, workers=workers) + list(flags)
        process = launcher.start("gateway", argv)
        gateway = Gateway(process, port, admin_port, config_dir)
        status = eventually(gateway.ready_status,
                            lambda current: started(current) or not process.running(),
                            START_TIMEOUT, 0.05)
        if started(status) and process.running():
            return gateway
        last_log = process.describe()
        if "already in use" not in process.log():
            break
        process.stop()
    raise StartError(f"the gateway did not become ready (last /ready: {status})\n{last_log}")


def edge_config(folder: Path, upstream_port: int, *extra: str,
                files: dict[str, str] | None = None,
                policies: str = "path-policies.yaml") -> Path:
    """Create a configuration folder: routes.yaml to `upstream_port`, the `policies` template,
    the other templates of data/adversarial/ named in `extra` (without ${} placeholders), and
    `files`."""
    contents = {
        "routes.yaml": render(ADVERSARIAL + "routes.yaml", UPSTREAM_PORT=upstream_port,
                              CLOSED_PORT=free_port()),
        policies: (ADVERSARIAL_DIR / policies).read_text(),
    }
    for name in extra:
        contents[name] = (ADVERSARIAL_DIR / name).read_text()
    contents.update(files or {})
    return make_config_dir(folder, contents)


def still_serving(gateway: Gateway) -> bool:
    """Return True when a normal request gets 200 from a gateway that is still running."""
    try:
        status = gateway.get("/public/still-serving", timeout=10).status
    except (OSError, http.client.HTTPException):
        return False
    return status == 200 and gateway.process.running()


# --- Raw exchanges -------------------------------------------------------------------------

def parse_responses(data: bytes) -> tuple[list[Response], bytes]:
    """Split `data` into the complete responses it starts with (bodies framed by
    Content-Length) and the bytes after them."""
    responses = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        _, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        response = Response(int(status), reason, headers, b"")
        length = int(response.header("content-length") or 0)
        if len(rest) < length:
            break
        response.body = rest[:length]
        responses.append(response)
        data = rest[length:]
    return responses, data


@dataclass
class Exchange:
    """The responses to bytes sent on one connection."""
    responses: list[Response]
    closed: bool  # the gateway closed the connection after its responses
    extra: bytes = b""  # bytes after the last complete response


def exchange(port: int, data: bytes, responses: int = 1, timeout: float = 10.0,
             watch_close: bool = True) -> Exchange:
    """Send `data` on a new connection and read up to `responses` responses.

    With `watch_close`, then watch the connection for CLOSE_WAIT seconds to see whether the
    gateway closes it. Without it, `closed` is true only when the gateway closed first.
    """
    with raw_connect(port, timeout) as sock:
        sock.sendall(data)
        received = b""
        parsed: list[Response] = []
        closed = False
        while len(parsed) < responses:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            received += chunk
            parsed, _ = parse_responses(received)
        if not closed and watch_close:
            sock.settimeout(CLOSE_WAIT)
            try:
                while chunk := sock.recv(65536):
                    received += chunk
                closed = True
            except ConnectionResetError:
                closed = True
            except socket.timeout:
                pass
        parsed, rest = parse_responses(received)
        return Exchange(parsed, closed, rest)


def echo_target(response: Response) -> str | None:
    """Return the target the recording upstream echoed in `response`, None for other bodies."""
    try:
        return json.loads(response.body)["target"]
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class Outcome:
    """What one attack led to."""
    exchange: Exchange
    received: list[Received]  # what the upstream read meanwhile
    upstream_bytes: bytes  # what the upstream received meanwhile, byte for byte
    serving_after: bool  # a normal request right after got 200 from a running gateway

    @property
    def first(self) -> Response | None:
        return self.exchange.responses[0] if self.exchange.responses else None

    @property
    def forwarded(self) -> list[tuple[str, str, bytes]]:
        """Method, target and body of each complete request the upstream read."""
        return [(request.method, request.target, request.body)
                for request in self.received if request.complete]


class Outcomes:
    """Runs each named attack once, on first use, and keeps its Outcome."""

    def __init__(self, run: Callable[[str], Outcome]):
        self._run = run
        self._done: dict[str, Outcome] = {}

    def __getitem__(self, name: str) -> Outcome:
        if name not in self._done:
            self._done[name] = self._run(name)
        return self._done[name]


def attack(gateway: Gateway, upstream: RecordingUpstream, data: bytes, responses: int = 1,
           watch_close: bool = True) -> Outcome:
    """Send `data` on a new connection, then a normal request on another one."""
    mark = upstream.mark()
    result = exchange(gateway.port, data, responses, watch_close=watch_close)
    time.sleep(SETTLE)
    received = upstream.received_since(mark)
    upstream_bytes = upstream.bytes_since(mark)
    return Outcome(result, received, upstream_bytes, still_serving(gateway))


# --- Framing and smuggling -----------------------------------------------------------------

MARKER = b"SMUGGLED"
SMUGGLED_GET = b"GET /public/SMUGGLED HTTP/1.1\r\nHost: edge.test\r\n\r\n"
SMUGGLED_ADMIN = b"GET /admin/SMUGGLED HTTP/1.1\r\nHost: edge.test\r\n\r\n"
POST = b"POST /public/form HTTP/1.1\r\nHost: edge.test\r\n"
GET = b"GET /public/page HTTP/1.1\r\nHost: edge.test\r\n"
NOT_IMPLEMENTED = "Not Implemented"


@dataclass(frozen=True)
class RawCase:
    data: bytes
    status: int
    body: str | None  # None: the recording upstream's echo of the forwarded request
    closes: bool  # whether the gateway closes the connection after its response
    # Method, target and body of each complete request the upstream must read, in order.
    forwarded: tuple[tuple[str, str, bytes], ...] = ()
    responses: int = 1  # responses the client must get


def rejected(data: bytes, status: int = 400, body: str = BAD_REQUEST) -> RawCase:
    return RawCase(data, status, body, closes=True)


FRAMING_CASES = {
    # Content-Length and Transfer-Encoding together (RFC 9112 section 6.1): Envoy rejects it
    # with 400.
    "content-length-then-chunked": rejected(
        POST + b"Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        SMUGGLED_GET),
    "chunked-then-content-length": rejected(
        POST + b"Transfer-Encoding: chunked\r\nContent-Length: 48\r\n\r\n0\r\n\r\n" +
        SMUGGLED_GET),
    "two-content-lengths": rejected(
        POST + b"Content-Length: 5\r\nContent-Length: 53\r\n\r\nhello" + SMUGGLED_GET),
    "content-length-list": rejected(
        POST + b"Content-Length: 5, 53\r\n\r\nhello" + SMUGGLED_GET),
    "content-length-signed": rejected(POST + b"Content-Length: +5\r\n\r\nhello"),
    "transfer-encoding-twice": rejected(
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"),
    "space-before-colon": rejected(
        POST + b"Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    # Obsolete line folding (RFC 9112 section 5.2): a server either rejects it or replaces it
    # with spaces. Envoy joins the lines, as Portcullis does, so the second line stays part of
    # the value and never becomes a header of its own.
    "obs-fold": RawCase(GET + b"X-Note: first\r\n Transfer-Encoding: chunked\r\n\r\n", 200, None,
                        closes=False, forwarded=(("GET", "/public/page", b""),)),
    "obs-fold-at-start": rejected(b"GET /public/page HTTP/1.1\r\n Host: edge.test\r\n\r\n"),
    # Bare LF line endings: RFC 9112 section 2.2 lets a server accept them, but Beast, the HTTP
    # parser of Portcullis, requires CRLF, which leaves an upstream nothing to read otherwise.
    "bare-lf": rejected(b"GET /public/page HTTP/1.1\nHost: edge.test\n\n"),
    "bare-lf-in-one-header": rejected(GET + b"X-One: a\nX-Two: b\r\n\r\n"),
    "cr-inside-value": rejected(GET + b"X-One: a\rX-Two: b\r\n\r\n"),
    "nul-inside-value": rejected(GET + b"X-One: a\x00b\r\n\r\n"),
    # Invalid chunk sizes: not hexadecimal, signed, prefixed, overflowing 64 bits, or shorter
    # than the data that follows.
    "chunk-size-not-hex": rejected(
        POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + SMUGGLED_GET),
    "chunk-size-negative": rejected(
        POST + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_GET),
    "chunk-size-0x": rejected(
        POST + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_GET),
    "chunk-size-overflow": rejected(
        POST + b"Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n" +
        SMUGGLED_GET),
    "chunk-size-short": rejected(
        POST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" + SMUGGLED_GET),
    # A transfer coding other than chunked. RFC 9112 section 6.1 lets a server reject codings
    # it does not understand, and Envoy's HTTP/1 codec responds 501 to any Transfer-Encoding
    # value but "chunked". It never reads the rest of the connection as a body or a request.
    "transfer-encoding-gzip": rejected(
        POST + b"Transfer-Encoding: gzip\r\n\r\n" + SMUGGLED_GET, 501, NOT_IMPLEMENTED),
    "transfer-encoding-chunked-gzip": rejected(
        POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n" + SMUGGLED_GET, 501, NOT_IMPLEMENTED),
    "transfer-encoding-gzip-chunked": rejected(
        POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + SMUGGLED_GET,
        501, NOT_IMPLEMENTED),
    # With Content-Length as well, the pair of headers is rejected first, with 400.
    "transfer-encoding-gzip-and-length": rejected(
        POST + b"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello" + SMUGGLED_GET),
    # A body that contains a request is data: the upstream gets one POST with that body.
    "request-in-body": RawCase(
        POST + f"Content-Length: {len(SMUGGLED_ADMIN)}\r\n\r\n".encode() + SMUGGLED_ADMIN, 200,
        None, closes=False, forwarded=(("POST", "/public/form", SMUGGLED_ADMIN),)),
    # A request after a body that ends early is the next request on the connection, and the
    # policies apply to it: /admin is denied.
    "request-after-body": RawCase(
        POST + b"Content-Length: 5\r\n\r\nhello" + SMUGGLED_ADMIN, 200, None, closes=False,
        forwarded=(("POST", "/public/form", b"hello"),), responses=2),
}


@pytest.fixture(scope="module")
def edge_supply(upstream, module_launcher, log_dir) -> GatewaySupply:
    """The gateway with default limits and BASE path normalization."""
    config_dir = edge_config(log_dir, upstream.port)
    return GatewaySupply(lambda: start_edge_gateway(module_launcher, config_dir))


@pytest.fixture(scope="module")
def framing(edge_supply, upstream) -> Outcomes:
    return Outcomes(lambda name: attack(edge_supply.get(), upstream, FRAMING_CASES[name].data,
                                        FRAMING_CASES[name].responses))


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_status(framing, case):
    first = framing[case].first
    assert first is not None, "no response before the connection closed"
    status, expected = first.status, FRAMING_CASES[case].status
    assert status == expected


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_body(framing, case):
    first, expected = framing[case].first, FRAMING_CASES[case]
    assert first is not None, "no response before the connection closed"
    if expected.body is None:
        target, expected_target = echo_target(first), expected.forwarded[0][1]
        assert target == expected_target
    else:
        body = first.text
        assert body == expected.body


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_connection(framing, case):
    closed, expected = framing[case].exchange.closed, FRAMING_CASES[case].closes
    assert closed == expected, "closed" if closed else "kept open"


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_upstream_requests(framing, case):
    forwarded, expected = framing[case].forwarded, list(FRAMING_CASES[case].forwarded)
    assert forwarded == expected


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_nothing_smuggled(framing, case):
    # The marker reaches the upstream only inside the bodies the case forwards on purpose.
    expected = sum(body.count(MARKER) for _, _, body in FRAMING_CASES[case].forwarded)
    received = framing[case].upstream_bytes
    assert received.count(MARKER) == expected, f"the upstream received {received!r}"


@pytest.mark.parametrize("case", FRAMING_CASES)
def test_framing_still_serving(framing, case):
    assert framing[case].serving_after, "a normal request failed after the attack; see the log"


def test_request_after_body_denied(framing):
    responses = framing["request-after-body"].exchange.responses
    assert [response.status for response in responses] == [200, 403]


def test_obs_fold_value_joined(framing):
    (request,) = [request for request in framing["obs-fold"].received if request.complete]
    values = request.header_values("x-note")
    assert [" ".join(value.split()) for value in values] == ["first Transfer-Encoding: chunked"]


def test_obs_fold_adds_no_header(framing):
    (request,) = [request for request in framing["obs-fold"].received if request.complete]
    assert request.header_values("transfer-encoding") == []


# A chunked body must reach the upstream with one last-chunk ("0\r\n\r\n"). Anything after it
# on a kept-alive upstream connection is read as the start of the next request.
CHUNKED_POST = (POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")


def test_chunked_body_forwarded(edge_supply, upstream):
    outcome = attack(edge_supply.get(), upstream, CHUNKED_POST)
    assert outcome.forwarded == [("POST", "/public/form", b"hello")]


def test_chunked_body_ends_once(edge_supply, upstream):
    outcome = attack(edge_supply.get(), upstream, CHUNKED_POST)
    after_body = [request.body for request in outcome.received if not request.complete]
    assert after_body == [], "the gateway sent bytes after the chunked body's last chunk"


@pytest.fixture
def single_worker(upstream, launcher, log_dir) -> Gateway:
    """A gateway with one worker, so that every request shares one upstream connection pool."""
    return start_edge_gateway(launcher, edge_config(log_dir, upstream.port), workers=1)


def test_chunked_body_then_own_responses(single_worker, upstream):
    upstream.drop_connections()
    post = CHUNKED_POST.replace(b"/public/form", b"/public/keep")
    first = exchange(single_worker.port, post)
    assert [response.status for response in first.responses] == [200]
    targets = [f"/public/next-{number}" for number in range(4)]
    responses = [single_worker.get(target) for target in targets]
    upstream.drop_connections()  # the pooled connection may hold a stray response
    answers = [(response.status, response.text[:60]) for response in responses]
    assert [echo_target(response) for response in responses] == targets, \
        f"a later request got another request's response: {answers}"


# --- Limits --------------------------------------------------------------------------------

KIB = 1024
BAD_FORMAT = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"
TOO_LARGE = "Request Header Fields Too Large"
URI_TOO_LONG = "URI Too Long"
# Limits of the tight gateway. The defaults are 60 KiB, 100 lines and 60 KiB.
TIGHT_HEADERS_KIB = 8
TIGHT_HEADER_LINES = 20
TIGHT_TARGET_KIB = 4
TIGHT_MAX_CONNECTIONS = 16
TIGHT_FLAGS = ["--max-request-headers-kb", str(TIGHT_HEADERS_KIB),
               "--max-request-headers-count", str(TIGHT_HEADER_LINES),
               "--max-request-target-kb", str(TIGHT_TARGET_KIB),
               "--max-connections", str(TIGHT_MAX_CONNECTIONS)]


def get_with(target: str = "/public/page", lines: Iterable[tuple[str, str]] = ()) -> bytes:
    """A GET with Host and `lines` as header lines."""
    head = f"GET {target} HTTP/1.1\r\nHost: edge.test\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in lines)
    return head.encode() + b"\r\n"


def forwarded_get(target: str, lines: Iterable[tuple[str, str]] = ()) -> RawCase:
    return RawCase(get_with(target, lines), 200, None, closes=False,
                   forwarded=(("GET", target, b""),))


def long_target(kib: float) -> str:
    return "/public/" + "a" * int(kib * KIB)


def header_lines(count: int) -> list[tuple[str, str]]:
    """`count` header lines, which with Host make count + 1."""
    return [(f"X-Line-{number}", "v") for number in range(count)]


def junk_token(kib: float) -> list[tuple[str, str]]:
    """An Authorization header whose token is `kib` KiB of letters without dots."""
    return [("Authorization", "Bearer " + "a" * int(kib * KIB))]


# Each case: the gateway ("edge": defaults, "tight": TIGHT_FLAGS) and what to send.
LIMIT_CASES = {
    # At the defaults the target limit equals the header limit, which the parser reaches
    # first: a request line over 60 KiB gets 431, as under Envoy, which has no target limit.
    "default-target-under": ("edge", forwarded_get(long_target(59))),
    "default-target-over": ("edge", rejected(get_with(long_target(61)), 431, TOO_LARGE)),
    "default-headers-under": ("edge", forwarded_get("/public/page",
                                                    [("X-Big", "a" * 59 * KIB)])),
    "default-headers-over": ("edge", rejected(get_with(lines=[("X-Big", "a" * 61 * KIB)]), 431,
                                              TOO_LARGE)),
    "default-lines-at-limit": ("edge", forwarded_get("/public/page", header_lines(99))),
    "default-lines-over": ("edge", rejected(get_with(lines=header_lines(100)), 431, TOO_LARGE)),
    "default-token-over": ("edge", rejected(get_with(lines=junk_token(61)), 431, TOO_LARGE)),
    "default-token-under": ("edge", RawCase(get_with(lines=junk_token(50)), 401, BAD_FORMAT,
                                            closes=False)),
    "tight-target-under": ("tight", forwarded_get(long_target(TIGHT_TARGET_KIB - 1))),
    "tight-target-over": ("tight", rejected(get_with(long_target(TIGHT_TARGET_KIB + 1)), 414,
                                            URI_TOO_LONG)),
    "tight-headers-under": ("tight", forwarded_get(
        "/public/page", [("X-Big", "a" * (TIGHT_HEADERS_KIB - 1) * KIB)])),
    "tight-headers-over": ("tight", rejected(
        get_with(lines=[("X-Big", "a" * (TIGHT_HEADERS_KIB + 1) * KIB)]), 431, TOO_LARGE)),
    "tight-lines-at-limit": ("tight", forwarded_get("/public/page",
                                                    header_lines(TIGHT_HEADER_LINES - 1))),
    "tight-lines-over": ("tight", rejected(get_with(lines=header_lines(TIGHT_HEADER_LINES)), 431,
                                           TOO_LARGE)),
    "tight-token-over": ("tight", rejected(get_with(lines=junk_token(TIGHT_HEADERS_KIB + 1)),
                                           431, TOO_LARGE)),
    "tight-token-under": ("tight", RawCase(get_with(lines=junk_token(TIGHT_HEADERS_KIB - 2)),
                                           401, BAD_FORMAT, closes=False)),
}


def demo_authentication() -> dict[str, str]:
    """A RequestAuthentication for Istio's demo issuer, so that junk tokens get 401."""
    text = render(ADVERSARIAL + "inline-requestauthentication.yaml", NAME="demo",
                  ISSUER=DEMO_ISSUER, JWKS=demo_jwks().strip())
    return {"requestauthentication.yaml": text}


@pytest.fixture(scope="module")
def limit_supplies(upstream, module_launcher, log_dir) -> dict[str, GatewaySupply]:
    edge_dir = edge_config(log_dir, upstream.port, files=demo_authentication())
    tight_dir = edge_config(log_dir, upstream.port, files=demo_authentication())
    return {
        "edge": GatewaySupply(lambda: start_edge_gateway(module_launcher, edge_dir)),
        "tight": GatewaySupply(lambda: start_edge_gateway(module_launcher, tight_dir,
                                                          TIGHT_FLAGS)),
    }


@pytest.fixture(scope="module")
def limits(limit_supplies, upstream) -> Outcomes:
    def run(name: str) -> Outcome:
        gateway_name, case = LIMIT_CASES[name]
        return attack(limit_supplies[gateway_name].get(), upstream, case.data)
    return Outcomes(run)


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_status(limits, case):
    first = limits[case].first
    assert first is not None, "no response before the connection closed"
    status, expected = first.status, LIMIT_CASES[case][1].status
    assert status == expected


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_body(limits, case):
    first, expected = limits[case].first, LIMIT_CASES[case][1]
    assert first is not None, "no response before the connection closed"
    if expected.body is None:
        target, expected_target = echo_target(first), expected.forwarded[0][1]
        assert target == expected_target
    else:
        body = first.text
        assert body == expected.body


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_connection(limits, case):
    closed, expected = limits[case].exchange.closed, LIMIT_CASES[case][1].closes
    assert closed == expected, "closed" if closed else "kept open"


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_upstream_requests(limits, case):
    forwarded = [(method, target) for method, target, _ in limits[case].forwarded]
    expected = [(method, target) for method, target, _ in LIMIT_CASES[case][1].forwarded]
    assert forwarded == expected


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_limit_still_serving(limits, case):
    assert limits[case].serving_after, "a normal request failed after the attack; see the log"


# --- Connection floods ---------------------------------------------------------------------

# Connections opened beyond the one already in use: more than --max-connections allows.
FLOOD_CONNECTIONS = TIGHT_MAX_CONNECTIONS + 8


@dataclass
class Flood:
    kept: int  # flood connections still open after a moment
    closed: int  # flood connections the gateway closed
    existing_status: int | None  # a request on the connection opened before the flood
    after_status: int | None  # a request on a new connection once the flood is gone


def connection_closed(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def request_status(connection: http.client.HTTPConnection, target: str) -> int | None:
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None


def new_connection_status(gateway: Gateway, target: str) -> int | None:
    try:
        return http_request(gateway.port, "GET", target, timeout=5).status
    except (OSError, http.client.HTTPException):
        return None


@pytest.fixture(scope="module")
def flood(limit_supplies) -> Flood:
    gateway = limit_supplies["tight"].get()
    time.sleep(0.2)  # lets the gateway count the connections of earlier tests as closed
    existing = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    request_status(existing, "/public/before-flood")
    sockets = [raw_connect(gateway.port) for _ in range(FLOOD_CONNECTIONS)]
    try:
        time.sleep(SETTLE)
        closed = sum(connection_closed(sock, CLOSE_WAIT / 3) for sock in sockets)
        existing_status = request_status(existing, "/public/during-flood")
    finally:
        for sock in sockets:
            sock.close()
        existing.close()
    after_status = eventually(lambda: new_connection_status(gateway, "/public/after-flood"),
                              lambda status: status == 200, timeout=5)
    return Flood(FLOOD_CONNECTIONS - closed, closed, existing_status, after_status)


def test_flood_over_limit_closed(flood):
    assert flood.closed == FLOOD_CONNECTIONS - (TIGHT_MAX_CONNECTIONS - 1)


def test_flood_under_limit_kept(flood):
    assert flood.kept == TIGHT_MAX_CONNECTIONS - 1


def test_flood_existing_connection_served(flood):
    assert flood.existing_status == 200


def test_flood_new_connection_served_after(flood):
    assert flood.after_status == 200


# --- Slow clients --------------------------------------------------------------------------

# Seconds of --request-header-timeout and --idle-timeout of the slow gateway.
SLOW_TIMEOUT = 2.0
SLOW_FLAGS = ["--request-header-timeout", str(SLOW_TIMEOUT), "--idle-timeout", str(SLOW_TIMEOUT)]
# How much later than the timeout a cut may come on a loaded machine.
CUT_MARGIN = 1.5
# Seconds a normal request may take while a slow client is connected.
PROMPT_SECONDS = 1.0


@pytest.fixture(scope="module")
def slow_gateway(upstream, module_launcher, log_dir) -> Gateway:
    return start_edge_gateway(module_launcher, edge_config(log_dir, upstream.port), SLOW_FLAGS)


@dataclass
class Trickle:
    """What a slow client led to."""
    cut_after: float | None  # seconds from the first byte until the gateway closed; None: never
    meanwhile: list[tuple[int | None, float]] = field(default_factory=list)  # status, seconds
    received: list[Received] = field(default_factory=list)  # the slow request, upstream


def serve_meanwhile(gateway: Gateway, stop: threading.Event, out: list) -> None:
    """Send normal requests on new connections until `stop`, recording status and duration."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = gateway.get("/public/meanwhile", timeout=10).status
        except (OSError, http.client.HTTPException):
            status = None
        out.append((status, time.monotonic() - started))
        stop.wait(0.2)


def wait_for_close(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the peer closes or `seconds` pass. Return (closed, bytes read)."""
    deadline = time.monotonic() + seconds
    data = b""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return True, data
        except socket.timeout:
            return False, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


@pytest.fixture(scope="module")
def header_trickle(slow_gateway, upstream) -> Trickle:
    """A request header sent one byte a second, while other clients send normal requests."""
    mark = upstream.mark()
    meanwhile: list[tuple[int | None, float]] = []
    stop = threading.Event()
    others = threading.Thread(target=serve_meanwhile, args=(slow_gateway, stop, meanwhile))
    others.start()
    cut_after = None
    try:
        with raw_connect(slow_gateway.port) as sock:
            started = time.monotonic()
            for byte in b"GET /public/trickle HTTP/1.1\r\nHost: edge.test\r\n\r\n":
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    cut_after = time.monotonic() - started
                    break
                closed, _ = wait_for_close(sock, 1.0)
                if closed:
                    cut_after = time.monotonic() - started
                    break
    finally:
        stop.set()
        others.join()
    time.sleep(SETTLE)
    trickled = [request for request in upstream.received_since(mark)
                if request.path == "/public/trickle"]
    return Trickle(cut_after, meanwhile, trickled)


def test_header_trickle_cut(header_trickle):
    assert header_trickle.cut_after is not None, "the gateway read a trickled header to its end"


def test_header_trickle_cut_at_timeout(header_trickle):
    if header_trickle.cut_after is None:
        pytest.fail("the connection was never cut")
    assert SLOW_TIMEOUT - 0.2 <= header_trickle.cut_after <= SLOW_TIMEOUT + CUT_MARGIN


def test_header_trickle_nothing_forwarded(header_trickle):
    assert header_trickle.received == []


def test_header_trickle_others_served(header_trickle):
    statuses = [status for status, _ in header_trickle.meanwhile]
    assert statuses and set(statuses) == {200}


def test_header_trickle_others_prompt(header_trickle):
    durations = [seconds for _, seconds in header_trickle.meanwhile]
    assert durations and max(durations) < PROMPT_SECONDS


@pytest.fixture(scope="module")
def body_trickle(slow_gateway, upstream) -> Trickle:
    """A body that stops after its first byte, for longer than --idle-timeout."""
    mark = upstream.mark()
    with raw_connect(slow_gateway.port) as sock:
        sock.sendall(b"POST /public/trickle-body HTTP/1.1\r\nHost: edge.test\r\n"
                     b"Content-Length: 100\r\n\r\na")
        started = time.monotonic()
        closed, _ = wait_for_close(sock, SLOW_TIMEOUT + CUT_MARGIN + 2)
        cut_after = time.monotonic() - started if closed else None
    time.sleep(SETTLE)
    trickled = [request for request in upstream.received_since(mark)
                if request.path == "/public/trickle-body"]
    return Trickle(cut_after, [], trickled)


def test_body_trickle_cut(body_trickle):
    assert body_trickle.cut_after is not None, "the gateway waited on a stalled body"


def test_body_trickle_cut_at_timeout(body_trickle):
    if body_trickle.cut_after is None:
        pytest.fail("the connection was never cut")
    assert SLOW_TIMEOUT - 0.2 <= body_trickle.cut_after <= SLOW_TIMEOUT + CUT_MARGIN


def test_body_trickle_not_completed_upstream(body_trickle):
    assert [request for request in body_trickle.received if request.complete] == []


def test_body_trickle_still_serving(body_trickle, slow_gateway):
    assert still_serving(slow_gateway)


# --- Path tricks ---------------------------------------------------------------------------

# Each case: the request target, then (status, target the upstream receives) under BASE, the
# default normalization, and under DECODE_AND_MERGE_SLASHES. The path rules are an ALLOW for
# /public* and a DENY for /admin*, so anything outside /public is denied.
PATH_CASES = {
    "plain": ("/public/a", (200, "/public/a"), (200, "/public/a")),
    "dot-dot": ("/public/../admin", (403, None), (403, None)),
    "dot-dot-above-root": ("/../admin", (403, None), (403, None)),
    "dot-dot-to-public": ("/admin/../public/a", (200, "/public/a"), (200, "/public/a")),
    "dot-segment": ("/./admin", (403, None), (403, None)),
    "dot-segment-public": ("/public/./a", (200, "/public/a"), (200, "/public/a")),
    "encoded-dots-lower": ("/public/%2e%2e/admin", (403, None), (403, None)),
    "encoded-dots-upper": ("/public/%2E%2E/admin", (403, None), (403, None)),
    "encoded-dot-mixed": ("/public/.%2e/admin", (403, None), (403, None)),
    # %2F is kept under BASE, so "..%2F" is no dot segment and the path stays under /public.
    # A backend that decodes %2F itself gets /admin, a gap DECODE_AND_MERGE_SLASHES closes.
    "encoded-slash": ("/public/..%2Fadmin", (200, "/public/..%2Fadmin"), (403, None)),
    "encoded-dots-and-slash": ("/public/%2e%2e%2fadmin", (200, "/public/..%2fadmin"),
                               (403, None)),
    "encoded-backslash": ("/public/..%5Cadmin", (200, "/public/..%5Cadmin"), (403, None)),
    "double-slash-admin": ("//admin", (403, None), (403, None)),
    "double-slash-public": ("//public/a", (403, None), (200, "/public/a")),
    "double-slashes-dot-dot": ("/public//..//admin", (200, "/public//admin"),
                               (200, "/public/admin")),
    "backslashes": ("/public\\..\\admin", (403, None), (403, None)),
    # ";" is no delimiter in a URI path (RFC 3986), so "..;" is a plain segment, as in Envoy.
    # A backend that strips path parameters (Tomcat does) resolves it to /admin.
    "dot-dot-semicolon": ("/public/..;/admin", (200, "/public/..;/admin"),
                          (200, "/public/..;/admin")),
    "upper-case": ("/ADMIN", (403, None), (403, None)),
    "mixed-case": ("/Public/a", (403, None), (403, None)),
    "encoded-letter": ("/public/%41dmin", (200, "/public/Admin"), (200, "/public/Admin")),
    "encoded-prefix": ("/%70ublic/a", (200, "/public/a"), (200, "/public/a")),
    "fragment-admin": ("/admin#/public", (403, None), (403, None)),
    "fragment-public": ("/public/a#/../../admin", (200, "/public/a"), (200, "/public/a")),
    "nul": ("/public/a%00/../../admin", (400, None), (400, None)),
    # Normalization runs once: %25 is not unreserved, so %252e stays as it is.
    "double-encoded": ("/public/%252e%252e/admin", (200, "/public/%252e%252e/admin"),
                       (200, "/public/%252e%252e/admin")),
    "query-kept": ("/public/a?next=/../admin", (200, "/public/a?next=/../admin"),
                   (200, "/public/a?next=/../admin")),
}
PATH_MODES = {"base": 1, "decode-and-merge-slashes": 2}
PATH_IDS = [f"{mode}-{case}" for mode in PATH_MODES for case in PATH_CASES]
PATH_BODIES = {403: RBAC_DENIED, 400: BAD_REQUEST}


def path_expectation(case_id: str) -> tuple[str, int, str | None]:
    """Return the target, the status and the upstream path of a PATH_IDS entry."""
    for mode, column in PATH_MODES.items():
        if case_id.startswith(mode + "-"):
            case = PATH_CASES[case_id[len(mode) + 1:]]
            status, upstream_path = case[column]
            return case[0], status, upstream_path
    raise KeyError(case_id)


@pytest.fixture(scope="module")
def path_supplies(upstream, module_launcher, log_dir) -> dict[str, GatewaySupply]:
    base_dir = edge_config(log_dir, upstream.port)
    merged_dir = edge_config(log_dir, upstream.port, "decode-and-merge-slashes-mesh.yaml")
    return {
        "base": GatewaySupply(lambda: start_edge_gateway(module_launcher, base_dir)),
        "decode-and-merge-slashes": GatewaySupply(
            lambda: start_edge_gateway(module_launcher, merged_dir)),
    }


@pytest.fixture(scope="module")
def paths(path_supplies, upstream) -> Outcomes:
    def run(case_id: str) -> Outcome:
        mode = next(mode for mode in PATH_MODES if case_id.startswith(mode + "-"))
        target, _, _ = path_expectation(case_id)
        return attack(path_supplies[mode].get(), upstream, get_with(target), watch_close=False)
    return Outcomes(run)


@pytest.mark.parametrize("case", PATH_IDS)
def test_path_status(paths, case):
    first = paths[case].first
    assert first is not None, "no response before the connection closed"
    status, expected = first.status, path_expectation(case)[1]
    assert status == expected


@pytest.mark.parametrize("case", PATH_IDS)
def test_path_body(paths, case):
    first = paths[case].first
    _, status, upstream_path = path_expectation(case)
    assert first is not None, "no response before the connection closed"
    if upstream_path is None:
        body = first.text
        assert body == PATH_BODIES[status]
    else:
        target = echo_target(first)
        assert target == upstream_path


@pytest.mark.parametrize("case", PATH_IDS)
def test_path_upstream_target(paths, case):
    upstream_path = path_expectation(case)[2]
    expected = [] if upstream_path is None else [upstream_path]
    assert [target for _, target, _ in paths[case].forwarded] == expected


@pytest.mark.parametrize("case", PATH_IDS)
def test_path_still_serving(paths, case):
    assert paths[case].serving_after, "a normal request failed after the attack; see the log"
