"""Failing dependencies of `portcullis serve`: key set servers that refuse, hang, fail or send
junk; upstreams that refuse, reset, hang or do not speak HTTP; and malformed configuration
files, at start-up and at reload.

The expected responses are Envoy's, as an Istio ingress gateway sends them. A key set that
never loaded makes every token of its issuer fail with "Jwt verification fails", while
token-less requests pass.
"""

from __future__ import annotations

import http.client
import http.server
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import (REPO_ROOT, GatewaySupply, SilentServer, ThreadedServer, bearer, eventually,
                     free_port, gateway_argv, portcullis_binary, write_atomically)
from test_adversarial_http import edge_config, start_edge_gateway, still_serving

# Fixtures: importing them makes pytest use them in this module.
from harness import log_dir, module_launcher, print_logs_on_failure  # noqa: F401
from test_adversarial_http import upstream  # noqa: F401

VERIFICATION_FAILS = "Jwt verification fails"
KID_ALG_MISMATCH = "Jwks doesn't have key to match kid or alg from Jwt"
RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. reset reason: "
HOST = "edge.test"
KID = "deps-key"


# --- Key set servers -----------------------------------------------------------------------

MIB = 1 << 20
HUGE_BODY_BYTES = 50 * MIB


class _KeySetHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        owner: KeySetServer = self.server.owner
        owner.record(self.path)
        if self.path in ("/keys/good", "/keys/redirected"):
            self._send(200, owner.jwks.encode(), "application/json")
        elif self.path == "/keys/status-500":
            self._send(500, b"internal error", "text/plain")
        elif self.path == "/keys/html":
            self._send(200, b"<html><body><form action=/login></form></body></html>",
                       "text/html")
        elif self.path == "/keys/huge":
            self._send_huge()
        elif self.path == "/keys/redirect-once":
            self._redirect("/keys/redirected")
        elif self.path == "/keys/redirect-loop":
            self._redirect("/keys/redirect-loop")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_huge(self) -> None:
        """Send 50 MiB of JSON-looking text without Content-Length, ended by closing."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        block = b" " * MIB
        try:
            self.wfile.write(b'{"keys": [')
            for _ in range(HUGE_BODY_BYTES // MIB):
                self.wfile.write(block)
        except OSError:
            pass  # the gateway stopped reading

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


class KeySetServer(ThreadedServer):
    """Serves key sets, errors and junk by path under /keys/, and records each fetch."""

    handler_class = _KeySetHandler

    def __init__(self, jwks: str):
        super().__init__()
        self.jwks = jwks
        self._lock = threading.Lock()
        self._fetches: list[tuple[float, str]] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/keys/{name}"

    def record(self, path: str) -> None:
        with self._lock:
            self._fetches.append((time.monotonic(), path))

    def fetches(self, path: str) -> list[float]:
        """Return the times of the fetches of `path`."""
        with self._lock:
            return [at for at, fetched in self._fetches if fetched == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [fetched for _, fetched in self._fetches]


@dataclass
class Key:
    private_key: Path
    jwks: str


@pytest.fixture(scope="module")
def key(log_dir) -> Key:
    folder = log_dir / "deps-key"
    folder.mkdir()
    private_key, jwks = folder / "key.pem", folder / "jwks.json"
    subprocess.run([portcullis_binary(), "token", "keygen", "--alg", "RS256", "--kid", KID,
                    "--key-out", str(private_key), "--jwks-out", str(jwks)],
                   capture_output=True, check=True, timeout=60)
    return Key(private_key, jwks.read_text())


def mint(key: Key, issuer: str, kid: str = KID) -> str:
    result = subprocess.run([portcullis_binary(), "token", "mint", "--key", str(key.private_key),
                             "--alg", "RS256", "--kid", kid, "--issuer", issuer],
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.strip()


def issuer_of(source: str) -> str:
    return f"https://{source}.example"


# Seconds a key set fetch may take (the jwtRule's timeout). The hanging server makes the first
# attempt last that long.
FETCH_TIMEOUT = 3
# Key set sources whose first fetch fails, and those that load.
FAILING_SOURCES = ["refused", "hang", "status-500", "html", "huge", "redirect-loop"]
LOADING_SOURCES = ["redirect-once", "good"]


@dataclass
class KeySetGateway:
    gateway: object
    server: KeySetServer
    first_ready: int | None  # GET /ready as soon as the admin port accepts requests
    ready_after: float | None  # seconds from start until GET /ready returned 200
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def key_sets(key, upstream, module_launcher, log_dir):
    server = KeySetServer(key.jwks)
    server.start()
    silent = SilentServer()
    uris = {source: server.url(source) for source in FAILING_SOURCES + LOADING_SOURCES}
    uris["refused"] = f"http://127.0.0.1:{free_port()}/keys"
    uris["hang"] = f"http://127.0.0.1:{silent.port}/keys"
    rules = "".join(f"  - issuer: {issuer_of(source)}\n    jwksUri: {uri}\n"
                    f"    timeout: {FETCH_TIMEOUT}s\n" for source, uri in uris.items())
    requestauthentication = ("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\n"
                             "metadata:\n  name: remote\n  namespace: istio-system\n"
                             "spec:\n  jwtRules:\n" + rules)
    config_dir = edge_config(log_dir, upstream.port,
                             files={"requestauthentication.yaml": requestauthentication})
    started = time.monotonic()
    gateway = start_edge_gateway(module_launcher, config_dir, wait_ready=False)
    first_ready = gateway.ready_status()
    ready = eventually(gateway.ready_status, lambda status: status == 200,
                       timeout=FETCH_TIMEOUT + 10, interval=0.05)
    ready_after = time.monotonic() - started if ready == 200 else None
    tokens = {source: mint(key, issuer_of(source)) for source in uris}
    yield KeySetGateway(gateway, server, first_ready, ready_after, tokens)
    silent.stop()
    server.stop()


def test_ready_waits_for_first_fetches(key_sets):
    assert key_sets.first_ready == 503


def test_ready_after_first_attempts(key_sets):
    assert key_sets.ready_after is not None, "GET /ready never returned 200"
    assert key_sets.ready_after < FETCH_TIMEOUT + 5


@pytest.mark.parametrize("source", FAILING_SOURCES)
def test_key_set_failure_status(key_sets, source):
    response = key_sets.gateway.get("/public/keys", {"Host": HOST,
                                                     **bearer(key_sets.tokens[source])})
    assert response.status == 401


@pytest.mark.parametrize("source", FAILING_SOURCES)
def test_key_set_failure_body(key_sets, source):
    response = key_sets.gateway.get("/public/keys", {"Host": HOST,
                                                     **bearer(key_sets.tokens[source])})
    assert response.text == VERIFICATION_FAILS


@pytest.mark.parametrize("source", LOADING_SOURCES)
def test_key_set_loaded(key_sets, source):
    response = key_sets.gateway.get("/public/keys", {"Host": HOST,
                                                     **bearer(key_sets.tokens[source])})
    assert response.status == 200


def test_key_set_failure_no_token_passes(key_sets):
    assert key_sets.gateway.get("/public/keys", {"Host": HOST}).status == 200


def test_redirect_followed(key_sets):
    assert "/keys/redirected" in key_sets.server.paths()


def test_redirect_loop_given_up(key_sets):
    fetches = key_sets.server.fetches("/keys/redirect-loop")
    first_attempt = [at for at in fetches if at - fetches[0] < 0.5]
    # The first attempt follows the loop, then gives up after at most 10 redirects.
    assert 1 < len(first_attempt) <= 11


# How far the gateway's peak RSS may lie above its RSS after the key set fetches. A fetch stops
# reading at 4 MiB; holding the 50 MiB body would raise the peak by 50 MiB.
PEAK_ABOVE_RSS_KIB = 24 * 1024


def test_huge_key_set_memory_bounded(key_sets):
    peak = key_sets.gateway.memory_kib("VmHWM")
    rss = key_sets.gateway.memory_kib("VmRSS")
    assert peak is not None and rss is not None, "the gateway's memory figures are unknown"
    assert peak - rss < PEAK_ABOVE_RSS_KIB


def test_key_set_failures_still_serving(key_sets):
    assert still_serving(key_sets.gateway)


def test_kid_traversal_does_not_change_fetch(key_sets, key):
    """A kid the key set lacks causes one early fetch, of the configured URI only."""
    token = mint(key, issuer_of("good"), kid="../../../../etc/passwd?x=")
    before = len(key_sets.server.fetches("/keys/good"))
    response = key_sets.gateway.get("/public/keys", {"Host": HOST, **bearer(token)})
    assert response.text == KID_ALG_MISMATCH
    paths = key_sets.server.paths()
    assert all(path.startswith("/keys/") and "etc" not in path for path in paths), paths
    assert len(key_sets.server.fetches("/keys/good")) - before <= 1


# --- Upstream failures ---------------------------------------------------------------------

IDLE_TIMEOUT = 2.0
ROUTE_TIMEOUT = 1.0  # the route timeout of /public/timeout... in routes.yaml
# How much later than a timeout a response may come on a loaded machine.
TIMEOUT_MARGIN = 1.5


@dataclass
class Fetched:
    status: int | None
    body: bytes
    complete: bool  # the body arrived in full
    seconds: float
    serving_after: bool


def fetch(gateway, target: str) -> Fetched:
    """GET `target` on a new connection and read as much of the response as arrives."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    started = time.monotonic()
    status, body, complete = None, b"", False
    try:
        connection.request("GET", target, headers={"Host": HOST})
        response = connection.getresponse()
        status = response.status
        try:
            body = response.read()
            complete = True
        except http.client.IncompleteRead as error:
            body = error.partial
    except (OSError, http.client.HTTPException):
        pass
    finally:
        connection.close()
    seconds = time.monotonic() - started
    return Fetched(status, body, complete, seconds, still_serving(gateway))


@pytest.fixture(scope="module")
def failing_upstreams(upstream, module_launcher, log_dir) -> dict[str, Fetched]:
    config_dir = edge_config(log_dir, upstream.port)
    supply = GatewaySupply(lambda: start_edge_gateway(module_launcher, config_dir,
                                                      ["--idle-timeout", str(IDLE_TIMEOUT)]))
    targets = {
        "refused": "/public/closed/refused",
        "reset": "/public/reset",
        "hang-route-timeout": "/public/timeout/hang",
        "hang-idle-timeout": "/public/hang",
        "garbage": "/public/garbage",
    }
    return {name: fetch(supply.get(), target) for name, target in targets.items()}


def test_refused_upstream_status(failing_upstreams):
    assert failing_upstreams["refused"].status == 503


def test_refused_upstream_body(failing_upstreams):
    body = failing_upstreams["refused"].body.decode(errors="replace")
    assert body.startswith(RESET_BEFORE_HEADERS + "connection failure")


def test_reset_upstream_headers_relayed(failing_upstreams):
    assert failing_upstreams["reset"].status == 200


def test_reset_upstream_body_cut(failing_upstreams):
    assert not failing_upstreams["reset"].complete
    assert len(failing_upstreams["reset"].body) < 100000


def test_hang_route_timeout_status(failing_upstreams):
    assert failing_upstreams["hang-route-timeout"].status == 504


def test_hang_route_timeout_body(failing_upstreams):
    assert failing_upstreams["hang-route-timeout"].body == b"upstream request timeout"


def test_hang_route_timeout_elapsed(failing_upstreams):
    seconds = failing_upstreams["hang-route-timeout"].seconds
    assert ROUTE_TIMEOUT - 0.2 <= seconds <= ROUTE_TIMEOUT + TIMEOUT_MARGIN


def test_hang_idle_timeout_status(failing_upstreams):
    assert failing_upstreams["hang-idle-timeout"].status == 504


def test_hang_idle_timeout_elapsed(failing_upstreams):
    seconds = failing_upstreams["hang-idle-timeout"].seconds
    assert IDLE_TIMEOUT - 0.2 <= seconds <= IDLE_TIMEOUT + TIMEOUT_MARGIN


def test_garbage_upstream_status(failing_upstreams):
    assert failing_upstreams["garbage"].status == 502


def test_garbage_upstream_body(failing_upstreams):
    assert failing_upstreams["garbage"].body == (RESET_BEFORE_HEADERS +
                                                 "protocol error").encode()


@pytest.mark.parametrize("failure", ["refused", "reset", "hang-route-timeout",
                                     "hang-idle-timeout", "garbage"])
def test_upstream_failure_still_serving(failing_upstreams, failure):
    assert failing_upstreams[failure].serving_after


# --- Malformed configuration ---------------------------------------------------------------

MALFORMED_DIR = REPO_ROOT / "tests" / "vectors" / "config" / "malformed"
MALFORMED = sorted(path.name for path in MALFORMED_DIR.glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+):(\d+) (\S+) \| (.+)")
EXIT_TIMEOUT = 20.0


@dataclass
class Expectation:
    line: int
    column: int
    text: str


def expectation(name: str) -> Expectation:
    first_line = (MALFORMED_DIR / name).read_text().splitlines()[0]
    match = EXPECT.fullmatch(first_line)
    assert match, f"{name}: first line is not '# expect: LINE:COLUMN FIELD | TEXT'"
    return Expectation(int(match.group(1)), int(match.group(2)), match.group(4))


@dataclass
class StartResult:
    status: int | None  # None: still running after EXIT_TIMEOUT
    stderr: str


def start_with(base_dir: Path, name: str) -> StartResult:
    argv = gateway_argv(free_port(), free_port(), base_dir) + ["--config",
                                                               str(MALFORMED_DIR / name)]
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        return StartResult(None, (error.stderr or b"").decode(errors="replace"))
    return StartResult(result.returncode, result.stderr)


@pytest.fixture(scope="module")
def malformed_starts(upstream, log_dir) -> dict[str, StartResult]:
    """`serve` started on a valid folder plus each malformed file, four at a time."""
    base_dir = edge_config(log_dir, upstream.port)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda name: start_with(base_dir, name), MALFORMED)
        return dict(zip(MALFORMED, results))


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_start_exit_status(malformed_starts, name):
    assert malformed_starts[name].status == 1


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_start_location(malformed_starts, name):
    expected = expectation(name)
    location = f"{MALFORMED_DIR / name}:{expected.line}:{expected.column}:"
    assert location in malformed_starts[name].stderr


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_start_message(malformed_starts, name):
    assert expectation(name).text in malformed_starts[name].stderr


EXTRA = "extra.yaml"  # the file a reload test breaks and fixes


def fixed_policy(number: int) -> str:
    """Return a valid policy that denies /public/fixed-<number>, so that a request shows
    whether a reload has picked it up."""
    return (f"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
            f"metadata:\n  name: fixed\n  namespace: istio-system\n"
            f"spec:\n  action: DENY\n  rules:\n"
            f"  - to:\n    - operation:\n        paths: [\"/public/fixed-{number}\"]\n")


@dataclass
class Reload:
    rejected: bool  # the gateway logged the rejected reload
    log: str  # the log since the malformed file was written
    version_kept: bool
    statuses: dict[str, int | None]  # statuses by target after the rejected reload
    fixed_status: int | None  # status of the path the fixed file denies


def status_of(gateway, target: str) -> int | None:
    try:
        return gateway.get(target, {"Host": HOST}, timeout=10).status
    except (OSError, http.client.HTTPException):
        return None


def reload_now(gateway) -> None:
    """Ask for a reload with SIGHUP instead of waiting for the 2-second poll."""
    os.kill(gateway.process.pid, signal.SIGHUP)


@pytest.fixture(scope="module")
def malformed_reloads(upstream, module_launcher, log_dir) -> dict[str, Reload]:
    """Break and fix the configuration of one gateway, once for each malformed file.

    Each file is written as EXTRA and reloaded, the statuses of a few requests are recorded,
    and then a fixed EXTRA is written and reloaded.
    """
    config_dir = edge_config(log_dir, upstream.port, files={EXTRA: fixed_policy(0)})
    gateway = start_edge_gateway(module_launcher, config_dir)
    results = {}
    for number, name in enumerate(MALFORMED, start=1):
        version = gateway.config_version()
        log_start = len(gateway.log())
        write_atomically(config_dir / EXTRA, (MALFORMED_DIR / name).read_text())
        reload_now(gateway)
        rejected = gateway.wait_for_log("configuration reload rejected", start=log_start)
        statuses = {
            "/public/a": status_of(gateway, "/public/a"),
            "/admin/a": status_of(gateway, "/admin/a"),
            f"/public/fixed-{number - 1}": status_of(gateway, f"/public/fixed-{number - 1}"),
        }
        version_kept = gateway.config_version() == version
        log = gateway.log()[log_start:]
        write_atomically(config_dir / EXTRA, fixed_policy(number))
        reload_now(gateway)
        eventually(gateway.config_version, lambda current: current > version, interval=0.02)
        results[name] = Reload(rejected, log, version_kept, statuses,
                               status_of(gateway, f"/public/fixed-{number}"))
    return results


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_reload_rejected(malformed_reloads, name):
    assert malformed_reloads[name].rejected


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_reload_location(malformed_reloads, name):
    expected = expectation(name)
    assert f"{EXTRA}:{expected.line}:{expected.column}:" in malformed_reloads[name].log


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_reload_keeps_version(malformed_reloads, name):
    assert malformed_reloads[name].version_kept


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_reload_statuses_kept(malformed_reloads, name):
    statuses = malformed_reloads[name].statuses
    previous_fixed = next(target for target in statuses if "fixed" in target)
    assert statuses == {"/public/a": 200, "/admin/a": 403, previous_fixed: 403}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_reload_fixed_file_served(malformed_reloads, name):
    assert malformed_reloads[name].fixed_status == 403
