"""Key sets fetched from jwksUri: http, https with a test CA, readiness, failure, retry, key
rotation, and refetches that fail or hang while known keys keep working.

Each test starts its own gateway, because what it checks is the gateway's first fetches.

NOTE: the periodic refresh, 20 minutes after a successful fetch, is not tested because no
command-line flag shortens it. A rotated key set is tested through the two paths that fetch
sooner: a token whose kid is not in the current set, and the retry after a failed fetch.
"""

import threading
import time

import pytest

from harness import (JwksServer, SilentServer, bearer, demo_claims, demo_jwks, demo_token,
                     eventually, free_port, istio_task_yaml, make_config_dir, make_test_ca,
                     mint_token, new_rsa_key, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import (builtin_httpbin, launcher, log_dir, module_launcher,
                     print_logs_on_failure)  # noqa: F401

# Seconds within which a retry must succeed once the key set server is back. The first
# retries come 1, 2 and 4 s after the failed fetch.
RETRY_DEADLINE = 20.0


def config_files(httpbin_port: int, jwks_uri: str, timeout: str = "5s") -> dict[str, str]:
    return {
        "serviceentry.yaml": render("httpbin-serviceentry.yaml", HTTPBIN_PORT=httpbin_port),
        "gateway-vs.yaml": istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
        "requestauthentication.yaml": render("remote-jwks-requestauthentication.yaml",
                                             JWKS_URI=jwks_uri, JWKS_TIMEOUT=timeout),
    }


@pytest.fixture
def start(builtin_httpbin, launcher, log_dir):
    """Start a gateway whose RequestAuthentication fetches `jwks_uri`."""
    def start_with(jwks_uri: str, timeout: str = "5s", env=None, wait_ready: bool = True):
        config_dir = make_config_dir(log_dir, config_files(builtin_httpbin.port, jwks_uri,
                                                           timeout))
        return start_gateway(launcher, config_dir, env=env, wait_ready=wait_ready)
    return start_with


@pytest.fixture
def jwks():
    server = JwksServer(demo_jwks())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def trusted_ca(log_dir):
    """A CA that signed the key set server's certificate."""
    return make_test_ca(log_dir / "ca")


@pytest.fixture(scope="module")
def other_ca(log_dir):
    """A CA that did not sign the key set server's certificate."""
    return make_test_ca(log_dir / "other-ca")


@pytest.fixture
def tls_jwks(trusted_ca):
    server = JwksServer(demo_jwks(), tls=trusted_ca)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.stop()


def token_status(gateway, token: str) -> int:
    return gateway.get("/headers", bearer(token)).status


def test_http_token_accepted(start, jwks):
    gateway = start(jwks.url)
    assert token_status(gateway, demo_token()) == 200


def test_https_token_accepted(start, tls_jwks, trusted_ca):
    gateway = start(tls_jwks.url, env={"SSL_CERT_FILE": str(trusted_ca.ca_cert)})
    assert token_status(gateway, demo_token()) == 200


def test_https_untrusted_ca_rejects_token(start, tls_jwks, other_ca):
    gateway = start(tls_jwks.url, env={"SSL_CERT_FILE": str(other_ca.ca_cert)})
    response = gateway.get("/headers", bearer(demo_token()))
    assert response.status == 401
    assert response.text == "Jwt verification fails"


def test_ready_waits_for_hanging_fetch(start, silent):
    gateway = start(f"http://127.0.0.1:{silent.port}/jwks.json", timeout="3s", wait_ready=False)
    assert gateway.ready_status() == 503


def test_ready_after_fetch_times_out(start, silent):
    gateway = start(f"http://127.0.0.1:{silent.port}/jwks.json", timeout="3s", wait_ready=False)
    status = eventually(gateway.ready_status, lambda current: current == 200, timeout=15)
    assert status == 200


def test_server_down_rejects_token(start):
    gateway = start(f"http://127.0.0.1:{free_port()}/jwks.json")
    response = gateway.get("/headers", bearer(demo_token()))
    assert response.status == 401
    assert response.text == "Jwt verification fails"


def test_server_down_allows_no_token(start):
    gateway = start(f"http://127.0.0.1:{free_port()}/jwks.json")
    assert gateway.get("/headers").status == 200


def test_server_back_token_accepted(start):
    server = JwksServer(demo_jwks(), port=free_port())
    gateway = start(server.url)
    assert token_status(gateway, demo_token()) == 401
    server.start()
    try:
        status = eventually(lambda: token_status(gateway, demo_token()),
                            lambda current: current == 200, timeout=RETRY_DEADLINE, interval=0.5)
    finally:
        server.stop()
    assert status == 200


def test_new_kid_picked_up_on_retry(start, log_dir):
    key_path, rotated_jwks = new_rsa_key(log_dir, kid="rotated-1")
    token = mint_token(demo_claims(expires_in=3600), key_pem=key_path, kid="rotated-1")
    server = JwksServer('{"keys": []}')  # the gateway counts an empty key set as a failed fetch
    server.start()
    try:
        gateway = start(server.url)
        server.set_keys(rotated_jwks)
        status = eventually(lambda: token_status(gateway, token),
                            lambda current: current == 200, timeout=RETRY_DEADLINE, interval=0.5)
    finally:
        server.stop()
    assert status == 200


def test_rotated_kid_accepted_on_first_use(start, jwks, log_dir):
    gateway = start(jwks.url)
    key_path, rotated_jwks = new_rsa_key(log_dir, kid="rotated-2")
    jwks.set_keys(rotated_jwks)
    token = mint_token(demo_claims(expires_in=3600), key_pem=key_path, kid="rotated-2")
    assert token_status(gateway, token) == 200


def unknown_kid_token(log_dir, kid: str) -> str:
    """A token signed by a new key whose kid the served key set lacks."""
    key_path, _ = new_rsa_key(log_dir, kid=kid)
    return mint_token(demo_claims(expires_in=3600), key_pem=key_path, kid=kid)


def test_failed_refetch_keeps_keys(start, jwks, log_dir):
    gateway = start(jwks.url)
    jwks.set_keys("<html>maintenance</html>")
    fetches = jwks.fetches
    # The unknown kid makes the gateway fetch again, and that fetch gets garbage.
    assert token_status(gateway, unknown_kid_token(log_dir, "unknown-1")) == 401
    assert jwks.fetches > fetches, "the unknown kid caused no fetch"
    assert token_status(gateway, demo_token()) == 200


def test_hanging_refetch_stalls_nothing(start, jwks, log_dir):
    gateway = start(jwks.url)
    jwks.set_delay(4.0)  # under the rule's 5 s fetch timeout
    stalled = unknown_kid_token(log_dir, "unknown-2")
    results = {}

    def send_stalled():
        results["stalled"] = token_status(gateway, stalled)

    waiter = threading.Thread(target=send_stalled)
    waiter.start()
    try:
        eventually(lambda: jwks.fetches, lambda count: count >= 2, timeout=5.0, interval=0.05)
        started = time.monotonic()
        status = token_status(gateway, demo_token())
        elapsed = time.monotonic() - started
    finally:
        waiter.join(timeout=15.0)
    assert status == 200
    assert elapsed < 1.0, f"a request with a known key waited {elapsed:.2f} s for the fetch"
    assert results.get("stalled") == 401
