"""External authorization: CUSTOM policies whose envoyExtAuthzHttp provider is a real HTTP server.

The authorizer is a local stand-in for Istio's samples/extauthz HTTP server: it allows a request
whose check carries `x-ext-authz: allow`, responds to anything else with 403 and the sample's
body, and marks both responses with `x-ext-authz-check-result`. A check that carries
`x-behaviour` gets another response instead (a hang, a 500, a redirect, extra headers), for the tests of each
provider setting. Every check it receives is recorded.

The first tests replay the istio.io task "External authorization" with its own manifests: the
mesh config's providers and the CUSTOM policy that selects the httpbin workload, with the HTTP
provider the task offers as the alternative to the gRPC one. The others put a CUSTOM policy on
the gateway itself.
"""

import http.server
import json
import re
import subprocess
import threading
import time

import pytest

from harness import (JwksServer, ThreadedServer, bearer, demo_jwks, demo_token, eventually,
                     header_from_echo, http_request, istio_task_yaml, make_config_dir,
                     portcullis_binary, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import httpbin, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

DENIED_BODY = "denied by ext_authz for not found header `x-ext-authz: allow` in the request"
HANG_SECONDS = 3.0
SLOW_SECONDS = 5.0  # longer than a reload takes to be noticed and served
IDLE_CLOSE_SECONDS = 0.5


class _AuthorizerHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection is closed after this long, as real servers do.
    timeout = IDLE_CLOSE_SECONDS

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        pass

    def _serve(self):
        owner: Authorizer = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner.record(self.command, self.path, headers)
        served_before = getattr(self, "served", 0)
        self.served = served_before + 1
        if headers.get("x-behaviour") == "drop-reused" and served_before > 0:
            self.close_connection = True  # close a kept-alive connection without a response
            return
        status, extra, body = owner.answer(headers)
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class Authorizer(ThreadedServer):
    handler_class = _AuthorizerHandler

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._checks: list[tuple[str, str, dict]] = []

    def record(self, method: str, path: str, headers: dict) -> None:
        with self._lock:
            self._checks.append((method, path, headers))

    @property
    def checks(self) -> list[tuple[str, str, dict]]:
        with self._lock:
            return list(self._checks)

    @staticmethod
    def answer(headers: dict) -> tuple[int, list, bytes]:
        behaviour = headers.get("x-behaviour")
        if behaviour == "hang":
            time.sleep(HANG_SECONDS)
            return 200, [], b""
        if behaviour == "error":
            return 500, [], b"authorizer failed"
        if behaviour == "redirect":
            return 302, [("Location", "https://login.example.com/start")], b""
        if behaviour == "note":
            return 200, [("x-auth-note", "checked"), ("x-ext-authz-check-result", "allowed")], b""
        if behaviour == "strip":
            return 200, [("x-envoy-auth-headers-to-remove", "x-session")], b""
        if behaviour == "slow":
            time.sleep(SLOW_SECONDS)
            return 200, [], b""
        if behaviour == "big-header":
            return 200, [("x-session-cookie", "c" * 20000)], b""
        if behaviour == "drop-reused":
            return 200, [], b""
        if headers.get("x-ext-authz") == "allow":
            return 200, [("x-ext-authz-check-result", "allowed")], b""
        return 403, [("x-ext-authz-check-result", "denied")], DENIED_BODY.encode()


@pytest.fixture(scope="module")
def authorizer():
    server = Authorizer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(httpbin, authorizer, module_launcher, log_dir):
    config_dir = make_config_dir(log_dir, task_files(httpbin, authorizer))
    return start_gateway(module_launcher, config_dir)


def checks_during(authorizer: Authorizer, send):
    """Return what `send()` returned and the checks the authorizer received meanwhile."""
    before = len(authorizer.checks)
    result = send()
    return result, authorizer.checks[before:]


# --- The istio.io task ----------------------------------------------------------------------

def task_mesh_config() -> str:
    """The task's mesh config fragment as the ConfigMap istio/istio-system it belongs to."""
    fragment = istio_task_yaml("authz-custom-01-meshconfig-providers.yaml")
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n"
            "  namespace: istio-system\n" + fragment)


def task_policy() -> str:
    """The task's CUSTOM policy, applied in foo, with the task's HTTP provider."""
    text = istio_task_yaml("authz-custom-04-policy.yaml")
    text, named = re.subn(r"(\n  name: ext-authz\n)", r"\1  namespace: foo\n", text)
    text, switched = re.subn(r"name: sample-ext-authz-grpc", "name: sample-ext-authz-http", text)
    assert (named, switched) == (1, 1)
    return text


def task_files(httpbin, authorizer) -> dict[str, str]:
    return {
        "httpbin.yaml": render("httpbin-workload-serviceentry.yaml", HTTPBIN_PORT=httpbin.port),
        "gateway.yaml": istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
        "ext-authz.yaml": render("ext-authz-serviceentry.yaml", EXT_AUTHZ_PORT=authorizer.port),
        "mesh.yaml": task_mesh_config(),
        "policy.yaml": task_policy(),
    }


@pytest.fixture
def task(gateway, httpbin, authorizer):
    gateway.set_files(task_files(httpbin, authorizer))
    return gateway


def test_task_denies_without_allow_header(task):
    assert task.get("/headers", {"x-ext-authz": "deny"}).status == 403


def test_task_denial_has_the_authorizer_body(task):
    assert task.get("/headers", {"x-ext-authz": "deny"}).text == DENIED_BODY


def test_task_denial_has_the_authorizer_headers(task):
    # Without headersToDownstreamOnDeny every header of the denial reaches the client.
    response = task.get("/headers", {"x-ext-authz": "deny"})
    assert response.header("x-ext-authz-check-result") == "denied"


def test_task_allows_with_allow_header(task):
    assert task.get("/headers", {"x-ext-authz": "allow"}).status == 200


def test_task_other_path_is_not_checked(task, authorizer):
    response, checks = checks_during(authorizer, lambda: task.get("/ip"))
    assert (response.status, checks) == (200, [])


def test_task_check_carries_the_listed_header(task, authorizer):
    _, checks = checks_during(authorizer, lambda: task.get("/headers", {"x-ext-authz": "allow"}))
    assert [headers.get("x-ext-authz") for _, _, headers in checks] == ["allow"]


def test_task_check_leaves_out_other_headers(task, authorizer):
    _, checks = checks_during(
        authorizer, lambda: task.get("/headers", {"x-ext-authz": "allow", "x-other": "1"}))
    assert [headers.get("x-other") for _, _, headers in checks] == [None]


# --- A CUSTOM policy on the gateway -----------------------------------------------------------

def gateway_files(httpbin, authorizer, provider: str) -> dict[str, str]:
    return {
        "httpbin.yaml": render("httpbin-workload-serviceentry.yaml", HTTPBIN_PORT=httpbin.port),
        "gateway.yaml": istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
        "providers.yaml": render("ext-authz-gateway-providers.yaml",
                                 EXT_AUTHZ_PORT=authorizer.port, PROVIDER=provider),
    }


@pytest.fixture
def headers_provider(gateway, httpbin, authorizer):
    gateway.set_files(gateway_files(httpbin, authorizer, "headers"))
    return gateway


@pytest.fixture
def short_timeout(gateway, httpbin, authorizer):
    gateway.set_files(gateway_files(httpbin, authorizer, "short-timeout"))
    return gateway


@pytest.fixture
def fail_open(gateway, httpbin, authorizer):
    gateway.set_files(gateway_files(httpbin, authorizer, "fail-open"))
    return gateway


def test_path_prefix_comes_before_the_path(headers_provider, authorizer):
    _, checks = checks_during(
        authorizer, lambda: headers_provider.get("/anything/check?a=1", {"x-ext-authz": "allow"}))
    assert [path for _, path, _ in checks] == ["/authz/anything/check?a=1"]


def test_check_keeps_the_method(headers_provider, authorizer):
    _, checks = checks_during(
        authorizer,
        lambda: headers_provider.request("DELETE", "/anything/check", {"x-ext-authz": "allow"}))
    assert [method for method, _, _ in checks] == ["DELETE"]


def test_check_carries_the_client_host(headers_provider, authorizer):
    _, checks = checks_during(
        authorizer, lambda: headers_provider.get("/anything/check",
                                                 {"x-ext-authz": "allow", "Host": "shop.test"}))
    assert [headers.get("host") for _, _, headers in checks] == ["shop.test"]


def test_allowed_header_reaches_upstream(headers_provider):
    response = headers_provider.get("/anything/check", {"x-ext-authz": "allow"})
    assert header_from_echo(response.json(), "x-ext-authz-check-result") == "allowed"


def test_allowed_header_replaces_a_forged_one(headers_provider):
    response = headers_provider.get("/anything/check", {"x-ext-authz": "allow",
                                                        "x-ext-authz-check-result": "forged"})
    assert header_from_echo(response.json(), "x-ext-authz-check-result") == "allowed"


def test_listed_header_reaches_the_client(headers_provider):
    response = headers_provider.get("/anything/check", {"x-behaviour": "note"})
    assert response.header("x-auth-note") == "checked"


def test_authorizer_removes_a_request_header(headers_provider):
    response = headers_provider.get("/anything/check", {"x-behaviour": "strip",
                                                        "x-session": "secret"})
    assert header_from_echo(response.json(), "x-session") is None


def test_redirect_reaches_the_client(headers_provider):
    response = headers_provider.get("/anything/check", {"x-behaviour": "redirect"})
    assert (response.status, response.header("location")) == (
        302, "https://login.example.com/start")


def test_authorizer_error_denies_with_empty_body(headers_provider):
    response = headers_provider.get("/anything/check", {"x-behaviour": "error"})
    assert (response.status, response.text) == (403, "")


def test_unchecked_path_reaches_upstream(headers_provider, authorizer):
    response, checks = checks_during(authorizer, lambda: headers_provider.get("/anything/other"))
    assert (response.status, checks) == (200, [])


def test_check_sees_forwarded_for_with_peer(headers_provider, authorizer):
    _, checks = checks_during(
        authorizer, lambda: headers_provider.get("/anything/check", {"x-ext-authz": "allow",
                                                                    "x-forwarded-for": "6.6.6.6"}))
    assert [headers.get("x-forwarded-for") for _, _, headers in checks] == ["6.6.6.6,127.0.0.1"]


def test_head_request_is_checked(headers_provider, authorizer):
    response, checks = checks_during(
        authorizer,
        lambda: headers_provider.request("HEAD", "/anything/check", {"x-ext-authz": "allow"}))
    assert (response.status, [method for method, _, _ in checks]) == (200, ["HEAD"])


def test_denial_has_one_date_header(headers_provider):
    response = headers_provider.get("/anything/check", {"x-ext-authz": "deny"})
    assert len(response.header_values("date")) == 1


def test_denial_has_one_server_header(headers_provider):
    response = headers_provider.get("/anything/check", {"x-ext-authz": "deny"})
    assert len(response.header_values("server")) == 1


def test_large_authorizer_header_is_accepted(headers_provider):
    assert headers_provider.get("/anything/check", {"x-behaviour": "big-header"}).status == 200


def test_closed_pooled_connection_is_retried(headers_provider):
    # Each worker gets a pooled connection, then each check on one is dropped unanswered.
    primes = [http_request(headers_provider.port, "GET", "/anything/check",
                           {"x-ext-authz": "allow"}).status for _ in range(4)]
    statuses = [http_request(headers_provider.port, "GET", "/anything/check",
                             {"x-behaviour": "drop-reused"}).status for _ in range(4)]
    assert (primes, statuses) == ([200] * 4, [200] * 4)


def test_authorizer_closing_idle_connections_breaks_nothing(headers_provider):
    first = headers_provider.get("/anything/check", {"x-ext-authz": "allow"})
    time.sleep(IDLE_CLOSE_SECONDS * 3)  # the authorizer has closed the pooled connection
    second = headers_provider.get("/anything/check", {"x-ext-authz": "allow"})
    assert (first.status, second.status) == (200, 200)


def test_hanging_authorizer_times_out_to_403(short_timeout):
    response = short_timeout.get("/anything/check", {"x-behaviour": "hang"})
    assert (response.status, response.text) == (403, "")


def test_hanging_authorizer_reply_at_timeout(short_timeout):
    started = time.monotonic()
    short_timeout.get("/anything/check", {"x-behaviour": "hang"})
    assert time.monotonic() - started < HANG_SECONDS


def test_hanging_authorizer_delays_no_other_request(short_timeout):
    hanging = threading.Thread(
        target=lambda: short_timeout.get("/anything/check", {"x-behaviour": "hang"}))
    hanging.start()
    time.sleep(0.2)
    started = time.monotonic()
    response = short_timeout.get("/anything/other")
    elapsed = time.monotonic() - started
    hanging.join()
    assert (response.status, elapsed < 0.9) == (200, True)


def test_reload_during_pending_check(httpbin, authorizer, module_launcher, log_dir):
    # One worker, so that the requests sent during the check move that worker's view to the
    # reloaded configuration.
    jwks = JwksServer(demo_jwks())
    jwks.start()
    try:
        files = gateway_files(httpbin, authorizer, "headers")
        files["ra.yaml"] = istio_task_yaml("authn-policy-02-requestauthentication.yaml",
                                           jwks_uri=jwks.url)
        gateway = start_gateway(module_launcher, make_config_dir(log_dir, files), workers=1)
        assert eventually(lambda: jwks.fetches, bool, 10), "the gateway never fetched the keys"
        pending: list[int] = []
        slow = threading.Thread(target=lambda: pending.append(gateway.get(
            "/anything/check", {"x-behaviour": "slow", **bearer(demo_token())}).status))
        slow.start()
        time.sleep(0.5)
        gateway.apply("ra.yaml", files["ra.yaml"] + "\n# changed while a check is pending\n")
        others = [gateway.get("/ip").status for _ in range(4)]
        slow.join()
        alive = gateway.process.running()
        gateway.process.stop()
    finally:
        jwks.stop()
    assert (pending, others, alive) == ([200], [200] * 4, True)


def test_fail_open_forwards_when_the_authorizer_fails(fail_open):
    assert fail_open.get("/anything/check", {"x-behaviour": "error"}).status == 200


def test_fail_open_still_honours_a_denial(fail_open):
    assert fail_open.get("/anything/check", {"x-ext-authz": "deny"}).status == 403


def test_denials_are_counted(headers_provider):
    def denied_total() -> int:
        text = headers_provider.admin("/stats/prometheus").text
        return int(re.search(r"^portcullis_ext_authz_denied_total (\d+)$", text, re.M).group(1))

    before = denied_total()
    headers_provider.get("/anything/check", {"x-ext-authz": "deny"})
    assert denied_total() == before + 1


def test_gateway_still_serves(gateway):
    assert gateway.get("/ip").status == 200


# --- portcullis check calls the same provider ------------------------------------------------

def run_check(config_dir, target: str, *headers: str, output: str = "json"):
    argv = [portcullis_binary(), "check", "--config", str(config_dir), "--request",
            f"GET http://www.example.com{target}", "--output", output]
    for header in headers:
        argv += ["-H", header]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if output == "json" else result.stdout


def test_check_gives_the_authorizer_response(headers_provider):
    answer = run_check(headers_provider.config_dir, "/anything/check", "x-ext-authz: deny")
    assert (answer["status"], answer["body"]) == (403, DENIED_BODY)


def test_check_shows_the_check_request(headers_provider):
    answer = run_check(headers_provider.config_dir, "/anything/check", "x-ext-authz: allow")
    assert [check["request"]["path"] for check in answer["ext_authz"]] == [
        "/authz/anything/check"]


def test_check_shows_the_header_added_upstream(headers_provider):
    answer = run_check(headers_provider.config_dir, "/anything/check", "x-ext-authz: allow")
    assert answer["upstream"]["headers"]["x-ext-authz-check-result"] == "allowed"


def test_check_explains_a_failed_authorizer(headers_provider):
    text = run_check(headers_provider.config_dir, "/anything/check", "x-behaviour: error",
                     output="text")
    custom = next(line for line in text.splitlines() if line.startswith("CUSTOM: "))
    assert "statusOnError 403" in custom
