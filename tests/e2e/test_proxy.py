"""The gateway as an HTTP/1.1 reverse proxy: connections, forwarded headers, local replies,
malformed requests and streaming of large bodies.

data/proxy.yaml routes by Host: httpbin.test to httpbin (Debian's under gunicorn, then the
built-in one), closed.test to a port where nothing listens, tiny.test to an upstream defined
here that counts its connections. Any other Host matches no route.
"""

import hashlib
import http.client
import http.server
import json
import re
import threading
import time
from dataclasses import dataclass

import pytest

from harness import (GatewaySupply, Response, ThreadedServer, free_port, header_from_echo,
                     make_config_dir, peer_closed, raw_connect, read_response, render, send_request,
                     start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import (builtin_httpbin, httpbin, log_dir, module_launcher,
                     print_logs_on_failure)  # noqa: F401

HTTPBIN = {"Host": "httpbin.test"}
TINY = {"Host": "tiny.test"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers."

MIB = 1 << 20
GIB = 1 << 30
LARGE_RESPONSE_BYTES = 128 * MIB
# Seconds a 1 GiB upload may take. Loopback moves it in a few seconds, and the rest leaves
# room for a loaded machine that runs suites side by side.
UPLOAD_DEADLINE = 30.0
# How far the gateway's peak RSS may rise above its RSS before a large transfer. Its
# streaming buffers are 64 KiB per direction and connection, so a body held in memory would
# exceed this by far.
MEMORY_GROWTH_LIMIT_KIB = 64 * 1024


class _TinyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.server.owner.count_connection()

    def do_GET(self):
        match = re.fullmatch(r"/large/(\d+)", self.path)
        if match:
            self._send_zeros(int(match.group(1)))
            return
        self._send_json({"headers": dict(self.headers.items())})

    def do_POST(self):
        """Read the body (Content-Length or chunked) and return its length and SHA-256."""
        digest = hashlib.sha256()
        length = 0
        for block in self._body_blocks():
            digest.update(block)
            length += len(block)
        self._send_json({"length": length, "sha256": digest.hexdigest()})

    def _body_blocks(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass  # trailer fields
                    return
                yield self.rfile.read(size)
                self.rfile.readline()  # the CRLF after the chunk data
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining > 0:
            block = self.rfile.read(min(remaining, MIB))
            if not block:
                return
            remaining -= len(block)
            yield block

    def _send_json(self, value) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_zeros(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        block = bytes(MIB)
        remaining = size
        while remaining > 0:
            step = min(remaining, MIB)
            self.wfile.write(block[:step])
            remaining -= step

    def log_message(self, format, *args):
        pass


class TinyUpstream(ThreadedServer):
    """An upstream that counts its connections. GET /large/<n> returns n zero bytes, POST
    returns the body's length and SHA-256, any other GET echoes the request headers."""

    handler_class = _TinyHandler

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._connections = 0

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1


@pytest.fixture(scope="module")
def tiny():
    server = TinyUpstream()
    server.start()
    yield server
    server.stop()


def proxy_gateway_supply(launcher, folder, httpbin_port: int, tiny_port: int) -> GatewaySupply:
    config_dir = make_config_dir(folder, {
        "proxy.yaml": render("proxy.yaml", HTTPBIN_PORT=httpbin_port, CLOSED_PORT=free_port(),
                             TINY_PORT=tiny_port),
    })
    return GatewaySupply(lambda: start_gateway(launcher, config_dir))


@pytest.fixture(scope="module")
def gateway_supply(httpbin, tiny, module_launcher, log_dir):
    return proxy_gateway_supply(module_launcher, log_dir, httpbin.port, tiny.port)


@pytest.fixture
def gateway(gateway_supply):
    """A gateway in front of each httpbin in turn."""
    return gateway_supply.get()


@pytest.fixture(scope="module")
def streaming_supply(builtin_httpbin, tiny, module_launcher, log_dir):
    return proxy_gateway_supply(module_launcher, log_dir, builtin_httpbin.port, tiny.port)


@pytest.fixture
def streaming_gateway(streaming_supply):
    """A gateway in front of the built-in httpbin, for tests that need only one gateway."""
    return streaming_supply.get()


def still_serving(gateway) -> bool:
    """Return True when a plain GET gets 200 and the gateway process is still alive after it."""
    try:
        status = gateway.get("/get", HTTPBIN).status
    except OSError:
        return False
    return status == 200 and gateway.process.running()


def echo_headers(gateway, headers) -> dict:
    """Return the request headers httpbin received, forwarded headers included."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    response = gateway.get("/headers?show_env=1", [*HTTPBIN.items(), *pairs])
    assert response.status == 200, response.text
    return response.json()


def exchange_raw(port: int, data: bytes):
    """Write `data` on a new connection. Return (response, or None when closed first; socket)."""
    sock = raw_connect(port)
    sock.sendall(data)
    try:
        return read_response(sock), sock
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return None, sock


# --- Connections ---------------------------------------------------------------------------

def test_client_keep_alive(gateway):
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=15)
    client_ports = set()
    for _ in range(5):
        send_request(connection, "GET", "/get", HTTPBIN)
        response = connection.getresponse()
        response.read()
        client_ports.add(connection.sock.getsockname()[1])
    connection.close()
    assert len(client_ports) == 1


def test_upstream_keep_alive(streaming_gateway, tiny):
    requests = 10
    before = tiny.connections
    connection = http.client.HTTPConnection("127.0.0.1", streaming_gateway.port, timeout=15)
    for _ in range(requests):
        send_request(connection, "GET", "/echo", TINY)
        connection.getresponse().read()
    connection.close()
    assert tiny.connections - before < requests


def test_head_then_get_on_one_connection(gateway):
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=15)
    send_request(connection, "HEAD", "/get", HTTPBIN)
    head = connection.getresponse()
    head_body = head.read()
    send_request(connection, "GET", "/get", HTTPBIN)
    get = connection.getresponse()
    get_body = get.read()
    connection.close()
    assert head.status == 200
    assert head_body == b""
    assert get.status == 200
    assert "url" in json.loads(get_body)


# --- Forwarded request headers -------------------------------------------------------------

HOP_BY_HOP = [
    ("Connection", "keep-alive, X-Hop-Secret"),
    ("X-Hop-Secret", "named in Connection"),
    ("Keep-Alive", "timeout=5"),
    ("TE", "deflate"),
    ("Upgrade", "example/1"),
]


@pytest.mark.parametrize("name", [name for name, _ in HOP_BY_HOP])
def test_hop_by_hop_header_removed(gateway, name):
    echo = echo_headers(gateway, HOP_BY_HOP)
    client_value = dict(HOP_BY_HOP)[name]
    assert header_from_echo(echo, name) != client_value


def test_forwarded_for_appended(gateway):
    echo = echo_headers(gateway, {"X-Forwarded-For": "203.0.113.7"})
    hops = [hop.strip() for hop in header_from_echo(echo, "X-Forwarded-For").split(",")]
    assert hops == ["203.0.113.7", "127.0.0.1"]


def test_forwarded_for_set(gateway):
    echo = echo_headers(gateway, {})
    assert header_from_echo(echo, "X-Forwarded-For") == "127.0.0.1"


def test_forwarded_proto_http(gateway):
    echo = echo_headers(gateway, {"X-Forwarded-Proto": "https"})
    assert header_from_echo(echo, "X-Forwarded-Proto") == "http"


def test_request_id_is_uuid(gateway):
    echo = echo_headers(gateway, {})
    assert UUID.match(header_from_echo(echo, "X-Request-Id") or "")


def test_request_id_differs(gateway):
    first = header_from_echo(echo_headers(gateway, {}), "X-Request-Id")
    second = header_from_echo(echo_headers(gateway, {}), "X-Request-Id")
    assert first != second


def test_host_preserved(gateway):
    echo = echo_headers(gateway, {})
    assert header_from_echo(echo, "Host") == "httpbin.test"


# --- Local replies -------------------------------------------------------------------------

def test_closed_upstream_status(gateway):
    assert gateway.get("/get", {"Host": "closed.test"}).status == 503


def test_closed_upstream_body(gateway):
    body = gateway.get("/get", {"Host": "closed.test"}).text
    assert body.startswith(RESET_BEFORE_HEADERS)
    assert "connection failure" in body


def test_closed_upstream_keeps_serving(gateway):
    gateway.get("/get", {"Host": "closed.test"})
    assert still_serving(gateway), "the gateway stopped after a 503; see its log"


def test_route_timeout_status(gateway):
    assert gateway.get("/delay/3", HTTPBIN).status == 504


def test_route_timeout_body(gateway):
    assert gateway.get("/delay/3", HTTPBIN).text == "upstream request timeout"


def test_route_timeout_elapsed(gateway):
    started = time.monotonic()
    gateway.get("/delay/3", HTTPBIN)
    assert time.monotonic() - started < 2.5


def test_route_timeout_keeps_serving(gateway):
    gateway.get("/delay/3", HTTPBIN)
    assert still_serving(gateway), "the gateway stopped after a 504; see its log"


def test_unknown_host_status(gateway):
    assert gateway.get("/get", {"Host": "nowhere.test"}).status == 404


def test_unknown_host_empty_body(gateway):
    assert gateway.get("/get", {"Host": "nowhere.test"}).body == b""


# --- Requests the gateway rejects before routing -------------------------------------------

# Each case: the bytes sent on a new connection, and the status expected back.
REJECTED = {
    "header-block-over-60kib": (b"GET /get HTTP/1.1\r\nHost: httpbin.test\r\nX-Large: " +
                                b"a" * (61 * 1024) + b"\r\n\r\n", 431),
    "garbage-request-line": (b"THIS IS NOT HTTP\r\n\r\n", 400),
    "lower-case-method": (b"get /get HTTP/1.1\r\nHost: httpbin.test\r\n\r\n", 400),
    "content-length-and-chunked": (b"POST /post HTTP/1.1\r\nHost: httpbin.test\r\n"
                                   b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   b"0\r\n\r\n", 400),
    "invalid-chunk-size": (b"POST /post HTTP/1.1\r\nHost: httpbin.test\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
}


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_request_status(gateway, case):
    request, expected = REJECTED[case]
    response, sock = exchange_raw(gateway.port, request)
    sock.close()
    assert response is not None, "the gateway closed the connection without a response"
    assert response.status == expected


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_request_closes(gateway, case):
    _, sock = exchange_raw(gateway.port, REJECTED[case][0])
    with sock:
        assert peer_closed(sock)


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_request_next_connection_served(gateway, case):
    _, sock = exchange_raw(gateway.port, REJECTED[case][0])
    with sock:
        peer_closed(sock, timeout=1.0)  # lets a crash caused by the request happen first
    assert still_serving(gateway), "the gateway stopped after the rejected request; see its log"


# --- Large bodies --------------------------------------------------------------------------

@dataclass
class Transfer:
    result: object  # the status of an upload or the byte count of a download, None on error
    seconds: float
    # VmHWM during the transfer minus VmRSS before it, None when the gateway crashed
    memory_growth_kib: int | None


def measure(gateway, transfer) -> Transfer:
    assert gateway.reset_peak_memory(), "cannot reset the gateway's peak RSS"
    rss_before = gateway.memory_kib("VmRSS")
    assert rss_before is not None, "the gateway's RSS is unknown"
    started = time.monotonic()
    try:
        result = transfer()
    except (OSError, http.client.HTTPException):
        result = None
    seconds = time.monotonic() - started
    peak = gateway.memory_kib("VmHWM")  # None when the gateway crashed during the transfer
    return Transfer(result, seconds, None if peak is None else peak - rss_before)


def repeated_blocks(total: int, block: bytes):
    view = memoryview(block)
    for _ in range(total // len(block)):
        yield view


def upload(gateway, path: str, host: str, size: int, block: bytes, chunked: bool) -> Response:
    headers = {"Host": host}
    if not chunked:
        headers["Content-Length"] = str(size)
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=300)
    try:
        send_request(connection, "POST", path, headers, repeated_blocks(size, block))
        raw = connection.getresponse()
        return Response(raw.status, raw.reason, raw.getheaders(), raw.read())
    finally:
        connection.close()


UPLOAD_MODES = {"chunked": True, "content-length": False}


@pytest.fixture(scope="module", params=UPLOAD_MODES)
def upload_1gib(request, streaming_supply) -> Transfer:
    """One 1 GiB upload to the built-in httpbin's /status/200, which discards the body."""
    gateway = streaming_supply.get()
    chunked = UPLOAD_MODES[request.param]
    return measure(gateway, lambda: upload(gateway, "/status/200", "httpbin.test", GIB,
                                           bytes(MIB), chunked).status)


def test_upload_1gib_status(upload_1gib):
    assert upload_1gib.result == 200


def test_upload_1gib_memory_bounded(upload_1gib):
    if upload_1gib.result is None or upload_1gib.memory_growth_kib is None:
        pytest.skip("the upload failed, so its peak memory means nothing")
    assert upload_1gib.memory_growth_kib < MEMORY_GROWTH_LIMIT_KIB


def test_upload_1gib_duration(upload_1gib):
    if upload_1gib.result is None:
        pytest.skip("the upload failed, so its duration means nothing")
    assert upload_1gib.seconds < UPLOAD_DEADLINE


@pytest.mark.parametrize("mode", UPLOAD_MODES)
def test_upload_body_intact(streaming_gateway, mode):
    block = bytes(range(256)) * 256  # 64 KiB
    size = 8 * MIB
    try:
        response = upload(streaming_gateway, "/sink", "tiny.test", size, block,
                          UPLOAD_MODES[mode])
    except (OSError, http.client.HTTPException) as error:
        pytest.fail(f"the upload failed: {error!r}")
    expected = hashlib.sha256(block * (size // len(block))).hexdigest()
    assert response.json() == {"length": size, "sha256": expected}


def test_bytes_response(gateway):
    response = gateway.get("/bytes/102400", HTTPBIN)
    assert response.status == 200
    assert len(response.body) == 102400


def download(gateway, size: int) -> int:
    """GET `size` bytes from the tiny upstream and return how many arrived."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=300)
    try:
        send_request(connection, "GET", f"/large/{size}", TINY)
        response = connection.getresponse()
        received = 0
        while chunk := response.read(MIB):
            received += len(chunk)
        return received
    finally:
        connection.close()


@pytest.fixture(scope="module")
def large_download(streaming_supply) -> Transfer:
    gateway = streaming_supply.get()
    return measure(gateway, lambda: download(gateway, LARGE_RESPONSE_BYTES))


def test_large_response_complete(large_download):
    assert large_download.result == LARGE_RESPONSE_BYTES


def test_large_response_memory_bounded(large_download):
    if large_download.result is None or large_download.memory_growth_kib is None:
        pytest.skip("the download failed, so its peak memory means nothing")
    assert large_download.memory_growth_kib < MEMORY_GROWTH_LIMIT_KIB
