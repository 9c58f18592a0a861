"""The istio.io task "Authentication policy", section "End-user authentication", at the gateway.

The manifests are the task's own (data/istio-io/authn-policy-0*.yaml) with jwksUri pointed at a
local server that serves Istio's demo key set. Each test puts the configuration folder in the
state of one task step, so tests can run alone or in any order.
"""

import pytest

from harness import (JwksServer, bearer, demo_claims, demo_jwks, demo_token, header_from_echo,
                     istio_task_yaml, make_config_dir, mint_token, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import httpbin, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

REQUEST_AUTHENTICATION = "requestauthentication.yaml"
POLICY = "authorizationpolicy.yaml"
MALFORMED_MESSAGE = ("Jwt is not in the form of Header.Payload.Signature with two dots and 3 "
                     "sections")


@pytest.fixture(scope="module")
def jwks():
    server = JwksServer(demo_jwks())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(httpbin, jwks, module_launcher, log_dir):
    config_dir = make_config_dir(log_dir, {
        "serviceentry.yaml": render("httpbin-serviceentry.yaml", HTTPBIN_PORT=httpbin.port),
        "gateway-vs.yaml": istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
    })
    return start_gateway(module_launcher, config_dir)


def task_state(gateway, jwks, *, request_authentication: bool, policy: str | None = None):
    """Configure the task's RequestAuthentication and AuthorizationPolicy files."""
    files = {name: (gateway.config_dir / name).read_text()
             for name in ("serviceentry.yaml", "gateway-vs.yaml")}
    if request_authentication:
        files[REQUEST_AUTHENTICATION] = istio_task_yaml(
            "authn-policy-02-requestauthentication.yaml", jwks_uri=jwks.url)
    if policy is not None:
        files[POLICY] = istio_task_yaml(policy)
    gateway.set_files(files)


@pytest.fixture
def without_policies(gateway, jwks):
    task_state(gateway, jwks, request_authentication=False)
    return gateway


@pytest.fixture
def with_request_authentication(gateway, jwks):
    task_state(gateway, jwks, request_authentication=True)
    return gateway


@pytest.fixture
def with_deny_policy(gateway, jwks):
    task_state(gateway, jwks, request_authentication=True,
               policy="authn-policy-03-deny-no-principal.yaml")
    return gateway


@pytest.fixture
def with_per_path_policy(gateway, jwks):
    task_state(gateway, jwks, request_authentication=True,
               policy="authn-policy-04-deny-no-principal-perpath.yaml")
    return gateway


def test_no_policy_allows(without_policies):
    assert without_policies.get("/headers").status == 200


def test_no_token_allowed(with_request_authentication):
    assert with_request_authentication.get("/headers").status == 200


def test_malformed_token_status(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("deadbeef"))
    assert response.status == 401


def test_malformed_token_body(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("deadbeef"))
    assert response.text == MALFORMED_MESSAGE


def test_malformed_token_content_type(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("deadbeef"))
    assert response.header("content-type") == "text/plain"


def test_malformed_token_www_authenticate(with_request_authentication):
    gateway = with_request_authentication
    response = gateway.get("/headers", bearer("deadbeef"))
    expected = f'Bearer realm="http://127.0.0.1:{gateway.port}/headers", error="invalid_token"'
    assert response.header("www-authenticate") == expected


def test_demo_token_accepted(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer(demo_token()))
    assert response.status == 200


def test_demo_token_not_forwarded(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer(demo_token()))
    assert header_from_echo(response.json(), "Authorization") is None


def test_short_lived_token_accepted(with_request_authentication):
    token = mint_token(demo_claims(expires_in=5))
    assert with_request_authentication.get("/headers", bearer(token)).status == 200


def test_expired_token_within_skew_accepted(with_request_authentication):
    # The 60 s clock skew keeps a token valid until exp + 60: the task's token with
    # `--expire 5` passes for about 65 s.
    token = mint_token(demo_claims(expires_in=-30))
    assert with_request_authentication.get("/headers", bearer(token)).status == 200


def test_expired_token_past_skew_status(with_request_authentication):
    token = mint_token(demo_claims(expires_in=-90))
    assert with_request_authentication.get("/headers", bearer(token)).status == 401


def test_expired_token_past_skew_body(with_request_authentication):
    token = mint_token(demo_claims(expires_in=-90))
    assert with_request_authentication.get("/headers", bearer(token)).text == "Jwt is expired"


def test_deny_policy_rejects_no_token(with_deny_policy):
    assert with_deny_policy.get("/headers").status == 403


def test_deny_policy_body(with_deny_policy):
    assert with_deny_policy.get("/headers").text == "RBAC: access denied"


def test_deny_policy_allows_token(with_deny_policy):
    assert with_deny_policy.get("/headers", bearer(demo_token())).status == 200


def test_per_path_policy_denies_headers(with_per_path_policy):
    assert with_per_path_policy.get("/headers").status == 403


def test_per_path_policy_allows_ip(with_per_path_policy):
    assert with_per_path_policy.get("/ip").status == 200


def test_per_path_policy_allows_token(with_per_path_policy):
    assert with_per_path_policy.get("/headers", bearer(demo_token())).status == 200
