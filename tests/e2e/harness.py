"""Processes, servers and clients for the end-to-end suites.

Everything listens on 127.0.0.1 at ports picked free at run time, so suites can run side by
side. Each process starts in its own process group, writes its output to a log file in a
temporary folder, and is killed with its whole group when the fixture that started it ends.
When a test fails, the tail of every log involved is printed under "Captured stdout teardown".

Test modules import the fixtures they use from here by name, for example
`from harness import httpbin, launcher`. Importing a fixture registers it for that module only.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import socket
import ssl
import string
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
DATA_DIR = E2E_DIR / "data"
ISTIO_IO_DIR = DATA_DIR / "istio-io"
SAMPLES_DIR = REPO_ROOT / "samples" / "istio"
PYTHON = "/usr/bin/python3"

DEMO_ISSUER = "testing@secure.istio.io"
DEMO_KID = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ"

# Seconds to wait for a process to listen or for the gateway's /ready. Generous because ctest
# runs the suites in parallel on small machines.
START_TIMEOUT = 30.0
# Seconds to wait for a configuration reload. The gateway polls its files every 2 s.
RELOAD_TIMEOUT = 15.0
# Seconds a stopped process gets between SIGTERM and SIGKILL.
STOP_GRACE = 5.0
LOG_TAIL_LINES = 60


def portcullis_binary() -> str:
    """Return the gateway binary: $PORTCULLIS_BINARY, else build/src/portcullis."""
    configured = os.environ.get("PORTCULLIS_BINARY")
    if configured:
        return configured
    fallback = REPO_ROOT / "build" / "src" / "portcullis"
    if fallback.is_file():
        return str(fallback)
    pytest.fail("PORTCULLIS_BINARY is not set and build/src/portcullis does not exist; "
                "build the portcullis target or set PORTCULLIS_BINARY to its path")


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def eventually(probe: Callable[[], object], done: Callable[[object], bool],
               timeout: float = RELOAD_TIMEOUT, interval: float = 0.1):
    """Call probe() until done(result) is true or `timeout` seconds pass. Return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result) or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


# --- Processes -----------------------------------------------------------------------------

class ManagedProcess:
    """A child process in its own process group, with stdout and stderr in one log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path,
                 env: Mapping[str, str] | None = None):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._log_file = open(log_path, "wb")
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                      stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)
        self.stopped = False  # set by stop(), when the fixture that started it ends
        _seen_processes.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self._exit_status() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def describe(self) -> str:
        status = self._exit_status()
        state = "running" if status is None else f"exited with status {status}"
        return (f"--- {self.name} (pid {self.pid}, {state}), log {self.log_path}:\n"
                f"{self.log_tail()}")

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit and return its status. Raise TimeoutExpired on timeout."""
        deadline = time.monotonic() + timeout
        while (status := self._exit_status()) is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.argv, timeout)
            time.sleep(0.02)
        return status

    def stop(self) -> None:
        """Send SIGTERM to the process group, then SIGKILL after STOP_GRACE seconds."""
        if self.stopped:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            pass
        # Children such as gunicorn's workers can outlive the group leader. The leader is not
        # reaped yet, so its process group ID still belongs to this group.
        self._signal_group(signal.SIGKILL)
        self.popen.wait()
        self._log_file.close()
        self.stopped = True

    def _exit_status(self) -> int | None:
        """Return the exit status (negative: the signal number), or None while running.

        Does not reap the process, so its PID and process group ID stay reserved until stop().
        """
        if self.popen.returncode is not None:
            return self.popen.returncode
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)


# Processes whose logs a failure report shows: those of fixtures still active when the current
# test began (running or crashed), and those started since.
_seen_processes: list[ManagedProcess] = []


_log_numbers = itertools.count(1)


class Launcher:
    """Starts processes with logs in one folder and stops them all at the end of a scope."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[ManagedProcess] = []

    def start(self, name: str, argv: Sequence[str],
              env: Mapping[str, str] | None = None) -> ManagedProcess:
        log_path = self.log_dir / f"{name}-{next(_log_numbers)}.log"
        process = ManagedProcess(name, argv, log_path, env)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


class StartError(Exception):
    """A process exited or did not become ready; the message includes its log."""


@pytest.fixture(scope="session")
def log_dir(request):
    """Folder of every process log of the session. It is deleted when no test failed."""
    path = Path(tempfile.mkdtemp(prefix="portcullis-e2e-"))
    yield path
    if request.session.testsfailed == 0:
        shutil.rmtree(path, ignore_errors=True)
    else:
        print(f"process logs kept in {path}")


@pytest.fixture(scope="module")
def module_launcher(log_dir):
    """Launcher whose processes live until the end of the test module."""
    launcher = Launcher(log_dir)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def launcher(log_dir):
    """Launcher whose processes live until the end of the test."""
    launcher = Launcher(log_dir)
    yield launcher
    launcher.stop_all()


@pytest.fixture(autouse=True)
def print_logs_on_failure(request):
    """Print the log tails of the test's processes when the test fails."""
    _seen_processes[:] = [process for process in _seen_processes if not process.stopped]
    failures_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failures_before:
        for process in _seen_processes:
            print(process.describe())


# --- HTTP clients --------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the first value of header `name` (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


def _to_response(raw: http.client.HTTPResponse) -> Response:
    return Response(raw.status, raw.reason, raw.getheaders(), raw.read())


def http_request(port: int, method: str, path: str,
                 headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                 body=None, timeout: float = 15.0) -> Response:
    """Send one request on a new connection to 127.0.0.1:port and return the whole response.

    A `Host` in `headers` replaces the default `127.0.0.1:<port>`.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        send_request(connection, method, path, headers, body)
        return _to_response(connection.getresponse())
    finally:
        connection.close()


def send_request(connection: http.client.HTTPConnection, method: str, path: str,
                 headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                 body=None) -> None:
    """Send a request on `connection`, which may be reused. Repeated header names are kept."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    names = {name.lower() for name, _ in pairs}
    connection.putrequest(method, path, skip_host="host" in names,
                          skip_accept_encoding=True)
    for name, value in pairs:
        connection.putheader(name, value)
    if body is None:
        connection.endheaders()
        return
    chunked = "content-length" not in names and not isinstance(body, (bytes, bytearray))
    if isinstance(body, (bytes, bytearray)) and "content-length" not in names:
        connection.putheader("Content-Length", str(len(body)))
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders(body, encode_chunked=chunked)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def raw_connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_response(sock: socket.socket, method: str = "GET") -> Response:
    """Read one response from a socket that a raw request was written to."""
    raw = http.client.HTTPResponse(sock, method=method)
    raw.begin()
    return _to_response(raw)


def peer_closed(sock: socket.socket, timeout: float = 2.0) -> bool:
    """Return True when the peer closes the connection within `timeout` seconds.

    Bytes that arrive first count as "not closed".
    """
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def header_from_echo(echo: dict, name: str) -> str | None:
    """Return header `name` from the "headers" object of an httpbin response, in any case."""
    for key, value in echo["headers"].items():
        if key.lower() == name.lower():
            return value
    return None


def _wait_until_listening(process: ManagedProcess, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            raise StartError(f"{process.name} exited before listening on port {port}\n"
                             f"{process.describe()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise StartError(f"{process.name} did not listen on port {port} within {timeout} s\n"
                     f"{process.describe()}")


# --- Upstreams -----------------------------------------------------------------------------

@dataclass
class Upstream:
    kind: str  # "gunicorn" (Debian's python3-httpbin) or "builtin" (portcullis httpbin)
    port: int
    process: ManagedProcess


def start_gunicorn_httpbin(launcher: Launcher) -> Upstream:
    """Start Debian's httpbin under gunicorn, with threads for concurrent /delay and with
    keep-alive."""
    port = free_port()
    argv = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", "1", "--threads", "8", "--keep-alive", "30", "--access-logfile", "-",
            "httpbin:app"]
    process = launcher.start("gunicorn-httpbin", argv)
    _wait_until_listening(process, port, START_TIMEOUT)
    return Upstream("gunicorn", port, process)


def start_builtin_httpbin(launcher: Launcher) -> Upstream:
    port = free_port()
    argv = [portcullis_binary(), "httpbin", "--listen", f"127.0.0.1:{port}"]
    process = launcher.start("builtin-httpbin", argv)
    _wait_until_listening(process, port, START_TIMEOUT)
    return Upstream("builtin", port, process)


@pytest.fixture(scope="module", params=["gunicorn", "builtin"])
def httpbin(request, module_launcher) -> Upstream:
    """An httpbin for the module: Debian's under gunicorn, then the built-in one."""
    if request.param == "gunicorn":
        return start_gunicorn_httpbin(module_launcher)
    return start_builtin_httpbin(module_launcher)


@pytest.fixture(scope="module")
def builtin_httpbin(module_launcher) -> Upstream:
    return start_builtin_httpbin(module_launcher)


class _QuietServer(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not print handler errors."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # handshake failures and resets are part of the tests


class ThreadedServer:
    """An http.server on 127.0.0.1 running on its own thread. Subclasses set handler_class.

    The handler reaches the ThreadedServer object as `self.server.owner`.
    """

    handler_class: type[http.server.BaseHTTPRequestHandler]

    def __init__(self, port: int | None = None, tls: TlsFiles | None = None):
        self.port = port or free_port()
        self.tls = tls
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def start(self) -> None:
        server = _QuietServer(("127.0.0.1", self.port), self.handler_class)
        server.owner = self
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None


class _JwksHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        owner: JwksServer = self.server.owner
        payload = owner.next_response().encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass


class JwksServer(ThreadedServer):
    """Serves a key set at any path over http, or https when `tls` is given.

    Tests change `keys` at any time; the next fetch gets the new set.
    """

    handler_class = _JwksHandler

    def __init__(self, keys: str, port: int | None = None, tls: TlsFiles | None = None):
        super().__init__(port, tls)
        self._lock = threading.Lock()
        self._keys = keys
        self._fetches = 0
        self._delay = 0.0

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/jwks.json"

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def set_keys(self, keys: str) -> None:
        with self._lock:
            self._keys = keys

    def set_delay(self, seconds: float) -> None:
        """Make each later fetch wait `seconds` before the response is sent."""
        with self._lock:
            self._delay = seconds

    def next_response(self) -> str:
        with self._lock:
            self._fetches += 1
            keys, delay = self._keys, self._delay
        if delay:
            time.sleep(delay)
        return keys


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte, until stopped."""

    def __init__(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        return len(self._connections)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join()
        for connection in self._connections:
            connection.close()


# --- Keys and tokens -----------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def demo_jwks() -> str:
    return (SAMPLES_DIR / "jwks.json").read_text()


def demo_token() -> str:
    return (SAMPLES_DIR / "demo.jwt").read_text().strip()


def groups_token() -> str:
    return (SAMPLES_DIR / "groups-scope.jwt").read_text().strip()


def mint_token(claims: Mapping[str, object], key_pem: Path = SAMPLES_DIR / "key.pem",
               kid: str | None = DEMO_KID) -> str:
    """Sign `claims` with RS256 (RSASSA-PKCS1-v1_5, SHA-256) using the openssl CLI."""
    header = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(dict(claims), separators=(",", ":")).encode()))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key_pem)],
                               input=signing_input.encode(), capture_output=True,
                               check=True).stdout
    return signing_input + "." + b64url(signature)


def demo_claims(expires_in: int) -> dict[str, object]:
    """Claims of Istio's demo issuer with `exp` at now + expires_in seconds."""
    now = int(time.time())
    return {"iss": DEMO_ISSUER, "sub": DEMO_ISSUER, "iat": now, "exp": now + expires_in}


def new_rsa_key(folder: Path, kid: str) -> tuple[Path, str]:
    """Generate an RSA key in `folder`. Return its PEM path and a JWKS with its public key."""
    key_path = folder / f"{kid}.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", str(key_path)],
                   capture_output=True, check=True)
    modulus_line = subprocess.run(["openssl", "rsa", "-in", str(key_path), "-noout", "-modulus"],
                                  capture_output=True, check=True, text=True).stdout
    modulus = bytes.fromhex(modulus_line.strip().split("=", 1)[1])
    jwk = {"kty": "RSA", "alg": "RS256", "kid": kid, "e": "AQAB", "n": b64url(modulus)}
    return key_path, json.dumps({"keys": [jwk]})


@dataclass
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_test_ca(folder: Path) -> TlsFiles:
    """Create a CA and a server certificate for 127.0.0.1 signed by it, with the openssl CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    server_key, server_csr, server_cert = (folder / "server.key", folder / "server.csr",
                                           folder / "server.pem")
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1\n"
                          "basicConstraints=critical,CA:FALSE\n"
                          "keyUsage=critical,digitalSignature\n"
                          "extendedKeyUsage=serverAuth\n")
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        ["openssl", "req", "-x509", *ec_key, "-keyout", ca_key, "-out", ca_cert, "-days", "2",
         "-subj", "/CN=portcullis e2e test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", *ec_key, "-keyout", server_key, "-out", server_csr,
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", server_csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", server_cert, "-days", "2", "-extfile", extensions],
    ]
    for command in commands:
        subprocess.run([str(part) for part in command], capture_output=True, check=True)
    return TlsFiles(ca_cert, server_cert, server_key)


# --- Configuration files -------------------------------------------------------------------

def render(template: str, **values: object) -> str:
    """Return tests/e2e/data/<template> with its ${NAME} placeholders replaced by `values`."""
    text = (DATA_DIR / template).read_text()
    return string.Template(text).substitute({key: str(value) for key, value in values.items()})


def istio_task_yaml(name: str, jwks_uri: str | None = None) -> str:
    """Return an istio.io task manifest, with its jwksUri replaced by `jwks_uri` when given."""
    text = (ISTIO_IO_DIR / name).read_text()
    if jwks_uri is not None:
        text, count = re.subn(r'(jwksUri:\s*)"[^"]*"', lambda m: f'{m.group(1)}"{jwks_uri}"',
                              text)
        assert count == 1, f"{name} has {count} jwksUri fields, expected 1"
    return text


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one rename, so the gateway never reads a half-written file."""
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(text)
    os.replace(staging, path)


# --- The gateway ---------------------------------------------------------------------------

class Gateway:
    """A running `portcullis serve` with gateway port 80 on `port`."""

    def __init__(self, process: ManagedProcess, port: int, admin_port: int,
                 config_dir: Path | None):
        self.process = process
        self.port = port
        self.admin_port = admin_port
        self.config_dir = config_dir

    def request(self, method: str, path: str,
                headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
                body=None, timeout: float = 15.0) -> Response:
        return http_request(self.port, method, path, headers, body, timeout)

    def get(self, path: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
            timeout: float = 15.0) -> Response:
        return self.request("GET", path, headers, timeout=timeout)

    def admin(self, path: str) -> Response:
        return http_request(self.admin_port, "GET", path, timeout=5.0)

    def ready_status(self) -> int | None:
        """Return the status of GET /ready, or None when the admin port accepts no connection."""
        try:
            return self.admin("/ready").status
        except OSError:
            return None

    def config_version(self) -> int:
        dump = self.admin("/config_dump").text
        match = re.match(r"configuration version (\d+)", dump)
        assert match, f"unexpected /config_dump output: {dump[:200]!r}"
        return int(match.group(1))

    def log(self) -> str:
        return self.process.log()

    def wait_for_log(self, needle: str, start: int = 0, timeout: float = RELOAD_TIMEOUT) -> bool:
        """Wait until `needle` appears in the log after character offset `start`."""
        found = eventually(lambda: needle in self.log()[start:], bool, timeout)
        return bool(found)

    def apply(self, name: str, text: str) -> None:
        """Write config_dir/<name> and wait until the gateway serves the new configuration."""
        self._change_and_wait(lambda: write_atomically(self.config_dir / name, text))

    def delete(self, name: str) -> None:
        """Remove config_dir/<name> and wait until the gateway serves the new configuration."""
        self._change_and_wait(lambda: (self.config_dir / name).unlink())

    def set_files(self, files: Mapping[str, str]) -> None:
        """Make config_dir contain exactly `files`, one change at a time, skipping equal files.

        Each change is one reload, so the gateway never loads a half-applied set.
        """
        for path in sorted(self.config_dir.glob("*.yaml")):
            if path.name not in files:
                self.delete(path.name)
        for name, text in files.items():
            path = self.config_dir / name
            if not path.exists() or path.read_text() != text:
                self.apply(name, text)

    def _change_and_wait(self, change: Callable[[], None]) -> None:
        version = self.config_version()
        log_start = len(self.log())
        change()
        served = eventually(self.config_version, lambda current: current > version,
                            RELOAD_TIMEOUT)
        if served <= version:
            raise AssertionError(f"the gateway did not serve a new configuration within "
                                 f"{RELOAD_TIMEOUT} s (still version {version}); log since the "
                                 f"change:\n{self.log()[log_start:]}")
        # A new jwksUri is fetched after the reload; /ready reports when every key set has had
        # its first fetch attempt, as a readiness probe would see it.
        eventually(self.ready_status, lambda status: status == 200, RELOAD_TIMEOUT)

    def memory_kib(self, field: str) -> int | None:
        """Return a memory figure of the gateway from /proc/PID/status, such as VmHWM.

        Returns None once the process is exiting, when the kernel no longer reports it.
        """
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
        return int(match.group(1)) if match else None

    def reset_peak_memory(self) -> bool:
        """Reset VmHWM to the current RSS (Linux clear_refs value 5). Return False on error."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False


def gateway_argv(port: int, admin_port: int, config_path: Path | None, *,
                 namespace: str | None = None, labels: str | None = None,
                 workers: int = 2) -> list[str]:
    """Return the `portcullis serve` command line for gateway port 80 on `port`."""
    argv = [portcullis_binary(), "serve", "--bind", "127.0.0.1", "--port-map", f"80={port}",
            "--admin", f"127.0.0.1:{admin_port}", "--workers", str(workers),
            "--log-level", "info"]
    if config_path is not None:
        argv += ["--config", str(config_path)]
    if namespace is not None:
        argv += ["--namespace", namespace]
    if labels is not None:
        argv += ["--labels", labels]
    return argv


def start_gateway(launcher: Launcher, config_dir: Path | None, *, namespace: str | None = None,
                  labels: str | None = None, env: Mapping[str, str] | None = None,
                  wait_ready: bool = True, workers: int = 2) -> Gateway:
    """Start `portcullis serve` on free loopback ports. Without config_dir it serves the demo.

    Waits for GET /ready to return 200, or with wait_ready False only for the admin port to
    accept connections. Retries with other ports when one was taken meanwhile. `env` adds to
    or overrides the test's environment.
    """
    last_error: StartError | None = None
    for _ in range(3):
        port, admin_port = free_port(), free_port()
        argv = gateway_argv(port, admin_port, config_dir, namespace=namespace, labels=labels,
                            workers=workers)
        process = launcher.start("gateway", argv, {**os.environ, **(env or {})})
        gateway = Gateway(process, port, admin_port, config_dir)
        try:
            _wait_for_admin(gateway, wait_ready)
            return gateway
        except StartError as error:
            last_error = error
            if "already in use" not in process.log():
                raise
            process.stop()
    raise last_error


def _wait_for_admin(gateway: Gateway, wait_ready: bool) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    status = None
    while time.monotonic() < deadline:
        if not gateway.process.running():
            raise StartError(f"the gateway exited during startup\n"
                             f"{gateway.process.describe()}")
        status = gateway.ready_status()
        if status == 200 or (status is not None and not wait_ready):
            return
        time.sleep(0.05)
    raise StartError(f"GET /ready did not return 200 within {START_TIMEOUT} s (last: {status})\n"
                     f"{gateway.process.describe()}")


class GatewaySupply:
    """A module's gateway, restarted when an earlier test crashed it.

    Without the restart, one crash would fail every later test of the module. With it, a crash
    fails only the test that caused it and the test that checks the gateway still serves.
    """

    def __init__(self, start: Callable[[], Gateway]):
        self._start = start
        self._gateway: Gateway | None = None

    def get(self) -> Gateway:
        # A crash can come a moment after the response that caused it, so the admin port is
        # checked too.
        if self._gateway is not None and (not self._gateway.process.running() or
                                          self._gateway.ready_status() is None):
            self._gateway.process.stop()
            self._gateway = None
        if self._gateway is None:
            self._gateway = self._start()
        return self._gateway


def make_config_dir(base: Path, files: Mapping[str, str]) -> Path:
    """Create a new folder under `base` that contains `files`."""
    folder = Path(tempfile.mkdtemp(prefix="config-", dir=base))
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder
