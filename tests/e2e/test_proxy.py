"""The gateway as an HTTP/1.1 reverse proxy: connections, forwarded headers, local replies,
malformed requests and streaming of large bodies.

data/proxy.yaml routes by Host: httpbin.test to httpbin (Debian's under gunicorn, then the
built-in one), closed.test to a port where nothing listens, tiny.test to an upstream defined
here that counts its connections. Any other Host matches no route.
"""

import http.client
import http.server
import json
import re
import time

import pytest

from harness import (GatewaySupply, ThreadedServer, builtin_httpbin, free_port,
                     header_from_echo, httpbin, log_dir, make_config_dir, module_launcher,
                     peer_closed, print_logs_on_failure, raw_connect, read_response, render,
                     send_request, start_gateway)

HTTPBIN = {"Host": "httpbin.test"}
TINY = {"Host": "tiny.test"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers."

MIB = 1 << 20
GIB = 1 << 30
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
        body = json.dumps({"headers": dict(self.headers.items())}).encode()
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
    """Echoes request headers as JSON, sends /large/<n> zero bytes, counts connections."""

    handler_class = _TinyHandler

    def __init__(self):
        super().__init__()
        self.connections = 0

    def count_connection(self) -> None:
        self.connections += 1


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
    """A gateway for the transfers whose memory is measured: no other test uses it."""
    return streaming_supply.get()


def follow_up_status(gateway) -> int | None:
    """Return the status of a plain GET, or None when the gateway no longer accepts."""
    try:
        return gateway.get("/get", HTTPBIN).status
    except OSError:
        return None


def echo_headers(gateway, headers) -> dict:
    """Return the request headers httpbin received, forwarded headers included."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    response = gateway.get("/headers?show_env=1", [*HTTPBIN.items(), *pairs])
    assert response.status == 200, response.text
    return response.json()


def exchange_raw(port: int, data: bytes):
    """Write `data` on a new connection; return (response or None if closed first, socket)."""
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
    assert follow_up_status(gateway) == 200, "the gateway stopped after a 503; see its log"


def test_route_timeout_status(gateway):
    response = gateway.get("/delay/3", HTTPBIN)
    assert response.status == 504
    assert response.text == "upstream request timeout"


def test_route_timeout_elapsed(gateway):
    started = time.monotonic()
    gateway.get("/delay/3", HTTPBIN)
    assert time.monotonic() - started < 2.5


def test_route_timeout_keeps_serving(gateway):
    gateway.get("/delay/3", HTTPBIN)
    assert follow_up_status(gateway) == 200, "the gateway stopped after a 504; see its log"


def test_unknown_host_not_found(gateway):
    response = gateway.get("/get", {"Host": "nowhere.test"})
    assert response.status == 404
    assert response.body == b""


def test_large_header_block_status(gateway):
    request = (b"GET /get HTTP/1.1\r\nHost: httpbin.test\r\nX-Large: " + b"a" * (61 * 1024) +
               b"\r\n\r\n")
    response, sock = exchange_raw(gateway.port, request)
    sock.close()
    assert response is not None and response.status == 431


def test_large_header_block_closes(gateway):
    request = (b"GET /get HTTP/1.1\r\nHost: httpbin.test\r\nX-Large: " + b"a" * (61 * 1024) +
               b"\r\n\r\n")
    _, sock = exchange_raw(gateway.port, request)
    with sock:
        assert peer_closed(sock)


# --- Malformed requests --------------------------------------------------------------------

MALFORMED = {
    "garbage-request-line": b"THIS IS NOT HTTP\r\n\r\n",
    "lower-case-method": b"get /get HTTP/1.1\r\nHost: httpbin.test\r\n\r\n",
    "content-length-and-chunked": (b"POST /post HTTP/1.1\r\nHost: httpbin.test\r\n"
                                   b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   b"0\r\n\r\n"),
    "invalid-chunk-size": (b"POST /post HTTP/1.1\r\nHost: httpbin.test\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_request_status(gateway, case):
    response, sock = exchange_raw(gateway.port, MALFORMED[case])
    sock.close()
    assert response is not None, "the gateway closed the connection without a response"
    assert response.status == 400


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_request_closes(gateway, case):
    _, sock = exchange_raw(gateway.port, MALFORMED[case])
    with sock:
        assert peer_closed(sock)


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_request_next_connection_served(gateway, case):
    _, sock = exchange_raw(gateway.port, MALFORMED[case])
    sock.close()
    assert gateway.get("/get", HTTPBIN).status == 200


# --- Large bodies --------------------------------------------------------------------------

def zero_blocks(total: int, block_size: int = MIB):
    block = memoryview(bytes(block_size))
    for _ in range(total // block_size):
        yield block


def upload(gateway, size: int, chunked: bool) -> int:
    """POST `size` zero bytes to the built-in httpbin's /status/200; return the status."""
    headers = dict(HTTPBIN)
    if not chunked:
        headers["Content-Length"] = str(size)
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=120)
    try:
        send_request(connection, "POST", "/status/200", headers, zero_blocks(size))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def peak_memory_growth_kib(gateway, transfer) -> tuple[object, int]:
    """Run transfer(); return its result and how far VmHWM rose above the RSS before it."""
    assert gateway.reset_peak_memory(), "cannot reset the gateway's peak RSS"
    before = gateway.memory_kib("VmRSS")
    result = transfer()
    return result, gateway.memory_kib("VmHWM") - before


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_upload_1gib_status(streaming_gateway, chunked):
    status, growth = peak_memory_growth_kib(streaming_gateway,
                                            lambda: upload(streaming_gateway, GIB, chunked))
    assert status == 200
    assert growth < MEMORY_GROWTH_LIMIT_KIB, f"peak RSS rose by {growth} KiB"


def test_bytes_response(gateway):
    response = gateway.get("/bytes/102400", HTTPBIN)
    assert response.status == 200
    assert len(response.body) == 102400


def download(gateway, size: int) -> int:
    """GET `size` bytes from the tiny upstream; return how many arrived."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=120)
    try:
        send_request(connection, "GET", f"/large/{size}", TINY)
        response = connection.getresponse()
        received = 0
        while chunk := response.read(MIB):
            received += len(chunk)
        return received
    finally:
        connection.close()


def test_large_response_streams(streaming_gateway):
    size = 256 * MIB
    received, growth = peak_memory_growth_kib(streaming_gateway,
                                              lambda: download(streaming_gateway, size))
    assert received == size
    assert growth < MEMORY_GROWTH_LIMIT_KIB, f"peak RSS rose by {growth} KiB"
