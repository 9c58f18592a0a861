"""Driver for the acceptance cases in tests/acceptance.

It loads cases.json and the fixtures, builds each case's request, sends it through
`portcullis check` (offline) or through a running `portcullis serve` (over loopback HTTP), and
returns what came back for test_acceptance.py to compare with the case's expectations. It also
runs the loopback servers that the cases need: an echo upstream that records every request it
receives, and a stand-in for the ext_authz HTTP server of Istio's samples/extauthz.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

import yaml

ACCEPTANCE_DIR = Path(__file__).resolve().parent.parent / "acceptance"
FIXTURES_DIR = ACCEPTANCE_DIR / "fixtures"

DEFAULT_HOST = "www.example.com"
DEFAULT_PEER = "127.0.0.1"
MINTED_TOKEN = "@minted"
UPSTREAM_HOST = "httpbin.foo.svc.cluster.local"
EXT_AUTHZ_HOST = "ext-authz.local"
# Envoy's jwt_authn puts at most this many characters of the path into the 401 realm.
REALM_PATH_MAX = 256

READY_TIMEOUT_S = 20
CHECK_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5
# Gateways kept running at once. Serve tests arrive grouped by config set, so two are enough.
GATEWAYS_KEPT = 2

EXT_AUTHZ_DENY_BODY = (b"denied by ext_authz for not found header `x-ext-authz: allow` "
                       b"in the request")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")


# ---------------------------------------------------------------------------------------------
# Cases and tokens


def load_cases() -> list[dict]:
    with open(ACCEPTANCE_DIR / "cases.json", encoding="utf-8") as f:
        return json.load(f)


def load_tokens() -> dict[str, str]:
    """Read the fixture tokens: NAME=TOKEN lines of the tokens.txt files and the *.jwt files."""
    tokens = {}
    for relative in ("data/istio-tests/tokens.txt", "data/generated/tokens.txt"):
        for line in (FIXTURES_DIR / relative).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, separator, value = line.partition("=")
            if separator:
                tokens[name] = value
    for path in sorted((FIXTURES_DIR / "data/istio-samples").glob("*.jwt")):
        tokens[path.name] = path.read_text(encoding="utf-8").strip()
    return tokens


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(key_path: Path, signing_input: bytes) -> bytes:
    """Sign with RSASSA-PKCS1-v1_5 and SHA-256, through python3-cryptography or openssl."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        signed = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key_path)],
                                input=signing_input, capture_output=True, check=True)
        return signed.stdout
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


def mint_token(spec: dict, now: int) -> str:
    """Mint the RS256 token a case's `mint` object describes, with times relative to `now`."""
    header = {"alg": "RS256", "kid": spec["kid"], "typ": "JWT"}
    claims = {"iss": spec["iss"], "sub": spec["sub"], "iat": now, "exp": now + spec["exp_delta"]}
    if spec.get("nbf_delta") is not None:
        claims["nbf"] = now + spec["nbf_delta"]
    encoded = [base64url(json.dumps(part, separators=(",", ":")).encode())
               for part in (header, claims)]
    signing_input = ".".join(encoded).encode("ascii")
    signature = sign_rs256(FIXTURES_DIR / spec["key"], signing_input)
    return signing_input.decode("ascii") + "." + base64url(signature)


PLACEHOLDER = re.compile(r"\{\{(tok|payload):([^}]+)\}\}")


def substitute(value, tokens: dict[str, str]):
    """Replace {{tok:NAME}} with a token and {{payload:NAME}} with its payload segment."""
    if isinstance(value, str):
        def replace(match: re.Match) -> str:
            token = tokens[match.group(2)]
            return token if match.group(1) == "tok" else token.split(".")[1]

        return PLACEHOLDER.sub(replace, value)
    if isinstance(value, list):
        return [substitute(item, tokens) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, tokens) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------------------------------
# Requests and outcomes


@dataclasses.dataclass
class Request:
    method: str
    target: str  # path and query, as sent on the request line
    host: str
    headers: list[tuple[str, str]]
    peer: str = DEFAULT_PEER

    def realm(self) -> str:
        """Return the www-authenticate value Envoy's jwt_authn sends with a 401 to this request."""
        return (f'Bearer realm="http://{self.host}{self.target[:REALM_PATH_MAX]}", '
                f'error="invalid_token"')


def build_request(spec: dict, tokens: dict[str, str]) -> Request:
    """Turn a case's `request` object into the request to send."""
    target = substitute(spec.get("path") or "/", tokens)
    headers = []
    for name, values in (spec.get("headers") or {}).items():
        for value in ([values] if isinstance(values, str) else values):
            headers.append((name, substitute(value, tokens)))
    token_name = spec.get("token")
    if token_name:
        token = tokens[token_name]
        location = spec.get("token_location") or "header"
        if location == "header":
            headers.append(("Authorization", "Bearer " + token))
        elif location == "query":
            parameter = spec.get("token_param") or "access_token"
            target += ("&" if "?" in target else "?") + f"{parameter}={token}"
        else:
            # Any other location is the name of a header that carries the token after a prefix.
            headers.append((location, (spec.get("token_prefix") or "") + token))
    return Request(method=spec.get("method") or "GET", target=target,
                   host=spec.get("host") or DEFAULT_HOST, headers=headers,
                   peer=spec.get("peer") or DEFAULT_PEER)


def fill_expectation(expect: dict, request: Request, tokens: dict[str, str]) -> dict:
    """Return a copy of an expectation with token placeholders and {{REALM}} filled in."""
    filled = substitute(json.loads(json.dumps(expect)), tokens)
    for key in ("headers_present", "upstream_headers_present"):
        if filled.get(key):
            filled[key] = {name: request.realm() if value == "{{REALM}}" else value
                           for name, value in filled[key].items()}
    return filled


def join_fields(fields) -> dict[str, str]:
    """Map lower-case field names to values, joining repeated fields with ',' as HTTP allows."""
    joined = {}
    for name, value in fields:
        name = name.lower()
        joined[name] = value if name not in joined else joined[name] + "," + value
    return joined


@dataclasses.dataclass
class RecordedRequest:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names, repeated fields joined with ","


@dataclasses.dataclass
class Outcome:
    """What the gateway did with one request, in either mode."""

    status: int
    body: str
    headers: dict[str, str]  # response headers, lower-case names
    forwarded: bool  # the request was sent on to the upstream
    upstream_target: str | None = None
    upstream_headers: dict[str, str] | None = None
    # Check requests the ext_authz stand-in received, or None where they were not recorded.
    authz_checks: list[RecordedRequest] | None = None


@dataclasses.dataclass
class Exchange:
    """One request of a case, its filled-in expectation and what came back."""

    request: Request
    expect: dict
    outcome: Outcome | None
    error: str | None = None  # why there is no outcome
    label: str = ""  # names one request of a multi-request case, such as "request 8 at +70 s"


@dataclasses.dataclass
class ConfigResult:
    """Whether the gateway rejected a configuration, with what it printed or why not."""

    rejected: bool
    detail: str


# ---------------------------------------------------------------------------------------------
# Loopback servers


class RecordingServer:
    """HTTP/1.1 server on a free loopback port, in its own thread, that records each request.

    `respond` maps a recorded request to (status, headers, body).
    """

    def __init__(self, respond: Callable[[RecordedRequest], tuple[int, list, bytes]]):
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
                pass

            def serve(self):
                read_request_body(self)
                record = RecordedRequest(self.command, self.path, join_fields(self.headers.items()))
                with owner._lock:
                    owner._records.append(record)
                status, headers, body = respond(record)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        for method in HTTP_METHODS:
            setattr(Handler, "do_" + method, Handler.serve)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def mark(self) -> int:
        with self._lock:
            return len(self._records)

    def since(self, mark: int) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records[mark:])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def read_request_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def echo_response(record: RecordedRequest) -> tuple[int, list, bytes]:
    """Return a 200 response with the request headers as JSON, as httpbin's /headers does."""
    body = json.dumps({"headers": record.headers}, indent=2).encode() + b"\n"
    return 200, [("Content-Type", "application/json")], body


def ext_authz_response(record: RecordedRequest) -> tuple[int, list, bytes]:
    """Allow exactly the requests with `x-ext-authz: allow`, as Istio's samples/extauthz does."""
    if record.headers.get("x-ext-authz") == "allow":
        return 200, [("x-ext-authz-check-result", "allowed")], b""
    return 403, [("x-ext-authz-check-result", "denied")], EXT_AUTHZ_DENY_BODY


def free_port() -> int:
    """Return a loopback port that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def connection_refused(port: int) -> bool:
    """Return True when a connection to 127.0.0.1:port is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(("127.0.0.1", port))
        except OSError:
            return True
        return False


# ---------------------------------------------------------------------------------------------
# Configuration copies

DOCUMENT_SEPARATOR = re.compile(r"(?m)^---[ \t]*$")


def point_endpoints(text: str, endpoint_ports: dict[str, dict[str, int]]) -> str:
    """Give the 127.0.0.1 endpoint of each ServiceEntry named in endpoint_ports those ports.

    endpoint_ports maps a ServiceEntry host to {port name: target port}. Documents that change
    are written back through PyYAML, so they lose their comments. Other documents stay as they
    were, byte for byte.
    """
    documents = DOCUMENT_SEPARATOR.split(text)
    for index, document in enumerate(documents):
        data = yaml.safe_load(document)
        if not isinstance(data, dict) or data.get("kind") != "ServiceEntry":
            continue
        spec = data.get("spec") or {}
        hosts = [host for host in spec.get("hosts") or [] if host in endpoint_ports]
        if not hosts:
            continue
        loopback = [endpoint for endpoint in spec.get("endpoints") or []
                    if endpoint.get("address") == "127.0.0.1"]
        if not loopback:
            raise ValueError(f"ServiceEntry for {hosts[0]} has no 127.0.0.1 endpoint")
        for endpoint in loopback:
            endpoint["ports"] = dict(endpoint_ports[hosts[0]])
        documents[index] = "\n" + yaml.safe_dump(data, sort_keys=False)
    return "---".join(documents)


# ---------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Child processes, each in a session of its own so that stopping one stops its group."""

    def __init__(self):
        self._lock = threading.Lock()
        self._live: list[subprocess.Popen] = []

    def start(self, command: list[str], stdout, stderr, env: dict | None = None):
        environment = dict(os.environ)
        environment.update(env or {})
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                   env=environment, start_new_session=True)
        with self._lock:
            self._live.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        """Send SIGTERM to the process group, then SIGKILL if it outlives STOP_TIMEOUT_S."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(STOP_TIMEOUT_S)
                break
            except subprocess.TimeoutExpired:
                continue
        process.poll()
        with self._lock:
            if process in self._live:
                self._live.remove(process)

    def stop_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for process in live:
            self.stop(process)


def http_status(port: int, target: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_ready(process: subprocess.Popen, admin_port: int, timeout_s: float) -> str:
    """Poll the admin /ready endpoint. Return "ready", "exited" or "timeout"."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited"
        try:
            if http_status(admin_port, "/ready") == 200:
                return "ready"
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.05)
    return "timeout"


def log_tail(path: Path, lines: int = 10) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# Gateways


@dataclasses.dataclass(frozen=True)
class GatewayKey:
    """What makes two cases need different `portcullis serve` processes."""

    configs: tuple[str, ...]
    identity: tuple[str, ...]  # --namespace and --labels arguments
    listen_port: int | None  # fixed listen port for Gateway port 80; None: any free port
    env: tuple[tuple[str, str], ...]


def identity_args(case: dict) -> list[str]:
    gateway = case.get("gateway") or {}
    args = []
    if gateway.get("namespace"):
        args += ["--namespace", gateway["namespace"]]
    if gateway.get("labels"):
        labels = ",".join(f"{key}={value}" for key, value in gateway["labels"].items())
        args += ["--labels", labels]
    return args


def gateway_key(case: dict) -> GatewayKey:
    listen_port = (case.get("port_map") or {}).get("80")
    return GatewayKey(configs=tuple(case["configs"]), identity=tuple(identity_args(case)),
                      listen_port=int(listen_port) if listen_port else None,
                      env=tuple(sorted((case.get("env") or {}).items())))


@dataclasses.dataclass
class Gateway:
    """A running `portcullis serve`."""

    process: subprocess.Popen
    listen_port: int
    admin_port: int
    log_path: Path
    state: str  # "ready", "exited" or "timeout"


# ---------------------------------------------------------------------------------------------
# The driver


class Driver:
    """State one test module shares: the binary, tokens, loopback servers, configs, processes."""

    def __init__(self, binary: str, work_dir: Path):
        self.binary = binary
        self.work_dir = work_dir
        self.tokens = load_tokens()
        self.processes = Processes()
        self.upstream = RecordingServer(echo_response)
        self.authz = RecordingServer(ext_authz_response)
        # The endpoint of the broken ext_authz providers: a port that nothing listens on.
        self.closed_port = free_port()
        self._lock = threading.Lock()
        self._config_dirs: dict[tuple[str, ...], list[Path]] = {}
        self._gateways: collections.OrderedDict[GatewayKey, Gateway] = collections.OrderedDict()
        self._serial = 0

    def close(self) -> None:
        self.processes.stop_all()
        self.upstream.close()
        self.authz.close()

    def _next_name(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}{self._serial:03d}"

    # -- configuration ------------------------------------------------------------------------

    def config_paths(self, configs: list[str]) -> list[Path]:
        """Write the case's config files, endpoints pointed at the loopback servers, once."""
        key = tuple(configs)
        with self._lock:
            if key in self._config_dirs:
                return self._config_dirs[key]
        directory = self.work_dir / self._next_name("configs-")
        directory.mkdir()
        endpoint_ports = {
            UPSTREAM_HOST: {"http": self.upstream.port},
            EXT_AUTHZ_HOST: {"http": self.authz.port, "http-broken": self.closed_port},
        }
        paths = []
        for index, relative in enumerate(configs):
            text = (FIXTURES_DIR / relative).read_text(encoding="utf-8")
            path = directory / f"{index:02d}-{Path(relative).name}"
            path.write_text(point_endpoints(text, endpoint_ports), encoding="utf-8")
            paths.append(path)
        with self._lock:
            return self._config_dirs.setdefault(key, paths)

    # -- check mode ---------------------------------------------------------------------------

    def check_command(self, case: dict, request: Request, now: int | None) -> list[str]:
        command = [self.binary, "check"]
        for path in self.config_paths(case["configs"]):
            command += ["--config", str(path)]
        command += ["--request", f"{request.method} http://{request.host}{request.target}"]
        for name, value in request.headers:
            command += ["-H", f"{name}: {value}"]
        command += ["--peer", request.peer]
        if now is not None:
            command += ["--now", str(now)]
        command += identity_args(case)
        return command + ["--output", "json"]

    def run_check(self, case: dict, request: Request,
                  now: int | None = None) -> tuple[int | None, str, str]:
        """Run `portcullis check`. Return (exit status or None on timeout, stdout, stderr)."""
        process = self.processes.start(self.check_command(case, request, now),
                                       subprocess.PIPE, subprocess.PIPE, case.get("env"))
        try:
            stdout, stderr = process.communicate(timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.processes.stop(process)
            return None, "", f"portcullis check timed out after {CHECK_TIMEOUT_S} s"
        self.processes.stop(process)
        return (process.returncode, stdout.decode("utf-8", "replace"),
                stderr.decode("utf-8", "replace"))

    def check_exchange(self, case: dict, request: Request, expect: dict,
                       now: int | None = None) -> Exchange:
        authz_mark = self.authz.mark()
        status, stdout, stderr = self.run_check(case, request, now)
        if status != 0:
            return Exchange(request, expect, None,
                            f"portcullis check exited with {status}: {stderr.strip()}")
        try:
            result = json.loads(stdout)
        except ValueError:
            return Exchange(request, expect, None, f"portcullis check printed no JSON: {stdout!r}")
        outcome = outcome_from_check(result)
        if "ext-authz-server" in (case.get("needs") or []):
            outcome.authz_checks = self.authz.since(authz_mark)
        return Exchange(request, expect, outcome)

    def check_config(self, case: dict) -> ConfigResult:
        """Load a config that must be rejected: `portcullis check` must exit with status 2."""
        request = Request("GET", "/headers", DEFAULT_HOST, [])
        status, stdout, stderr = self.run_check(case, request)
        output = (stderr or stdout).strip()
        return ConfigResult(status == 2, f"portcullis check exited with {status}: {output}")

    # -- serve mode ---------------------------------------------------------------------------

    def start_gateway(self, case: dict) -> Gateway:
        key = gateway_key(case)
        listen_port = key.listen_port or free_port()
        admin_port = free_port()
        command = [self.binary, "serve"]
        for path in self.config_paths(case["configs"]):
            command += ["--config", str(path)]
        command += ["--bind", "127.0.0.1", "--port-map", f"80={listen_port}",
                    "--admin", f"127.0.0.1:{admin_port}"]
        command += list(key.identity)
        log_path = self.work_dir / (self._next_name("serve-") + ".log")
        with open(log_path, "wb") as log:
            process = self.processes.start(command, log, subprocess.STDOUT, dict(key.env))
        state = wait_until_ready(process, admin_port, READY_TIMEOUT_S)
        return Gateway(process, listen_port, admin_port, log_path, state)

    def gateway(self, case: dict) -> Gateway:
        """Return the running gateway for the case's config set, starting it when needed.

        At most GATEWAYS_KEPT gateways run at once: the least recently used one is stopped.
        """
        key = gateway_key(case)
        if key in self._gateways:
            self._gateways.move_to_end(key)
            return self._gateways[key]
        while len(self._gateways) >= GATEWAYS_KEPT:
            _, oldest = self._gateways.popitem(last=False)
            self.processes.stop(oldest.process)
        started = self.start_gateway(case)
        self._gateways[key] = started
        return started

    def serve_config(self, case: dict) -> ConfigResult:
        """Start a gateway on a config that must be rejected: it must exit non-zero, never ready."""
        gateway = self.start_gateway(case)
        self.processes.stop(gateway.process)
        status = gateway.process.returncode
        log = log_tail(gateway.log_path)
        if gateway.state == "exited":
            return ConfigResult(status != 0, f"portcullis serve exited with {status}: {log}")
        if gateway.state == "ready":
            return ConfigResult(False, f"portcullis serve became ready: {log}")
        return ConfigResult(False, f"portcullis serve neither exited nor became ready "
                                   f"within {READY_TIMEOUT_S} s: {log}")

    def send(self, gateway: Gateway, request: Request) -> Outcome:
        """Send one request to the gateway and collect what the upstream and ext_authz saw."""
        source = None if request.peer == DEFAULT_PEER else (request.peer, 0)
        connection = http.client.HTTPConnection("127.0.0.1", gateway.listen_port,
                                                timeout=REQUEST_TIMEOUT_S,
                                                source_address=source)
        upstream_mark = self.upstream.mark()
        authz_mark = self.authz.mark()
        try:
            connection.putrequest(request.method, request.target, skip_host=True,
                                  skip_accept_encoding=True)
            connection.putheader("Host", request.host)
            for name, value in request.headers:
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        received = self.upstream.since(upstream_mark)
        return Outcome(status=response.status, body=body.decode("utf-8", "replace"),
                       headers=join_fields(response.getheaders()), forwarded=bool(received),
                       upstream_target=received[0].target if received else None,
                       upstream_headers=received[0].headers if received else None,
                       authz_checks=self.authz.since(authz_mark))

    def serve_exchange(self, gateway: Gateway, request: Request, expect: dict,
                       label: str = "") -> Exchange:
        try:
            outcome = self.send(gateway, request)
        except (OSError, http.client.HTTPException) as error:
            return Exchange(request, expect, None, f"request failed: {error!r}", label)
        return Exchange(request, expect, outcome, label=label)


    # -- cases ----------------------------------------------------------------------------------

    def unmet_need(self, mode: str, case: dict) -> str | None:
        """Return why this machine cannot run the case in this mode, or None."""
        kind = case["kind"]
        if kind == "jwks-unreachable" and not connection_refused(9):
            return "needs 127.0.0.1:9 closed (the jwksUri of the case), but it accepts connections"
        # A gateway that this driver already runs for the case is bound to the fixed port.
        if kind == "listener-port" and mode == "serve" and gateway_key(case) not in self._gateways:
            for listen_port in (case.get("port_map") or {}).values():
                if not port_is_free(int(listen_port)):
                    return f"needs 127.0.0.1:{listen_port} free to bind Gateway port 80 on it"
        return None

    def run_case(self, mode: str, case: dict) -> ConfigResult | list[Exchange]:
        """Run a case in "check" or "serve" mode."""
        if case["kind"] == "config-error":
            return self.check_config(case) if mode == "check" else self.serve_config(case)
        if case["kind"] == "timed":
            return self.run_timed(mode, case)
        gateway = self.gateway(case) if mode == "serve" else None
        tokens, now = self.tokens, None
        if case.get("mint"):
            now = int(time.time())
            tokens = {**self.tokens, MINTED_TOKEN: mint_token(case["mint"], now)}
        request = build_request(case["request"], tokens)
        expect = fill_expectation(case["expect"], request, tokens)
        if mode == "check":
            return [self.check_exchange(case, request, expect, now)]
        if gateway.state != "ready":
            return [Exchange(request, expect, None, not_ready_error(gateway))]
        return [self.serve_exchange(gateway, request, expect)]

    def run_timed(self, mode: str, case: dict) -> list[Exchange]:
        """Send the same token at each point of the case's schedule.

        Check mode sets each point with --now. Serve mode waits for it on the wall clock.
        """
        gateway = self.gateway(case) if mode == "serve" else None
        start = int(time.time())
        started = time.monotonic()
        schedule = case["timed"]
        tokens = {**self.tokens, MINTED_TOKEN: mint_token(case["mint"], start)}
        request = build_request(case["request"], tokens)
        exchanges = []
        for index, status in enumerate(schedule["expect_statuses"]):
            offset = index * schedule["interval_s"]
            label = f"request {index + 1} at +{offset} s"
            expect = schedule["expect_on_401"] if status == 401 else {"status": status}
            expect = fill_expectation(expect, request, tokens)
            if mode == "check":
                exchange = self.check_exchange(case, request, expect, start + offset)
                exchange.label = label
            elif gateway.state != "ready":
                exchange = Exchange(request, expect, None, not_ready_error(gateway), label)
            else:
                time.sleep(max(0.0, started + offset - time.monotonic()))
                exchange = self.serve_exchange(gateway, request, expect, label)
            exchanges.append(exchange)
        return exchanges


def not_ready_error(gateway: Gateway) -> str:
    return (f"portcullis serve did not become ready ({gateway.state}, exit status "
            f"{gateway.process.poll()}): {log_tail(gateway.log_path)}")


def outcome_from_check(result: dict) -> Outcome:
    """Read the JSON object `portcullis check --output json` prints."""
    def field_map(fields: dict) -> dict[str, str]:
        return {name.lower(): ",".join(value) if isinstance(value, list) else str(value)
                for name, value in fields.items()}

    upstream = result.get("upstream")
    forwarded = isinstance(upstream, dict)
    return Outcome(status=result.get("status"), body=result.get("body"),
                   headers=field_map(result.get("headers") or {}), forwarded=forwarded,
                   upstream_target=upstream.get("path") if forwarded else None,
                   upstream_headers=field_map(upstream.get("headers") or {}) if forwarded
                   else None)
