"""The istio.io task "Authorization with JWT", with the gateway in place of httpbin's sidecar.

The task's manifests (data/istio-io/authz-jwt-0*.yaml) select `app: httpbin` in namespace foo,
so the gateway runs as that workload: `--namespace foo --labels app=httpbin,...`. The extra
label `istio=ingressgateway` binds the Gateway of authn-policy-01-gateway-vs.yaml. Only jwksUri
is changed, to a local server with Istio's demo key set. The last tests cover the claim and
payload headers of a RequestAuthentication written for this suite.
"""

import json

import pytest

from harness import (JwksServer, b64url_decode, bearer, demo_jwks, demo_token, groups_token,
                     header_from_echo, istio_task_yaml, make_config_dir, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import httpbin, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

REQUEST_AUTHENTICATION = "requestauthentication.yaml"
POLICY = "authorizationpolicy.yaml"


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
    return start_gateway(module_launcher, config_dir, namespace="foo",
                         labels="app=httpbin,istio=ingressgateway")


def configure(gateway, extra_files: dict[str, str]) -> None:
    files = {name: (gateway.config_dir / name).read_text()
             for name in ("serviceentry.yaml", "gateway-vs.yaml")}
    files.update(extra_files)
    gateway.set_files(files)


@pytest.fixture
def without_policies(gateway):
    configure(gateway, {})
    return gateway


@pytest.fixture
def with_request_authentication(gateway, jwks):
    configure(gateway, {
        REQUEST_AUTHENTICATION: istio_task_yaml("authz-jwt-01-requestauthentication.yaml",
                                                jwks_uri=jwks.url),
    })
    return gateway


@pytest.fixture
def with_require_jwt(gateway, jwks):
    configure(gateway, {
        REQUEST_AUTHENTICATION: istio_task_yaml("authz-jwt-01-requestauthentication.yaml",
                                                jwks_uri=jwks.url),
        POLICY: istio_task_yaml("authz-jwt-02-require-jwt.yaml"),
    })
    return gateway


@pytest.fixture
def with_require_groups(gateway, jwks):
    configure(gateway, {
        REQUEST_AUTHENTICATION: istio_task_yaml("authz-jwt-01-requestauthentication.yaml",
                                                jwks_uri=jwks.url),
        POLICY: istio_task_yaml("authz-jwt-03-require-jwt-groups.yaml"),
    })
    return gateway


@pytest.fixture
def with_claim_headers(gateway, jwks):
    configure(gateway, {
        REQUEST_AUTHENTICATION: render("claim-headers-requestauthentication.yaml",
                                       JWKS_URI=jwks.url),
    })
    return gateway


def test_baseline_allows(without_policies):
    assert without_policies.get("/ip").status == 200


def test_invalid_token_rejected(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("invalidToken"))
    assert response.status == 401


def test_no_token_allowed(with_request_authentication):
    assert with_request_authentication.get("/headers").status == 200


def test_require_jwt_accepts_demo_token(with_require_jwt):
    assert with_require_jwt.get("/headers", bearer(demo_token())).status == 200


def test_require_jwt_rejects_no_token(with_require_jwt):
    assert with_require_jwt.get("/headers").status == 403


def test_require_jwt_body(with_require_jwt):
    assert with_require_jwt.get("/headers").text == "RBAC: access denied"


def test_groups_policy_accepts_groups_token(with_require_groups):
    assert with_require_groups.get("/headers", bearer(groups_token())).status == 200


def test_groups_policy_rejects_demo_token(with_require_groups):
    # demo.jwt has no groups claim.
    assert with_require_groups.get("/headers", bearer(demo_token())).status == 403


def test_claim_header_sub(with_claim_headers):
    echo = with_claim_headers.get("/headers", bearer(demo_token())).json()
    assert header_from_echo(echo, "x-jwt-sub") == "testing@secure.istio.io"


def test_claim_header_foo(with_claim_headers):
    echo = with_claim_headers.get("/headers", bearer(demo_token())).json()
    assert header_from_echo(echo, "x-jwt-foo") == "bar"


def test_payload_header_is_token_segment(with_claim_headers):
    token = demo_token()
    echo = with_claim_headers.get("/headers", bearer(token)).json()
    assert header_from_echo(echo, "x-jwt-payload") == token.split(".")[1]


def test_payload_header_decodes(with_claim_headers):
    echo = with_claim_headers.get("/headers", bearer(demo_token())).json()
    payload = json.loads(b64url_decode(header_from_echo(echo, "x-jwt-payload")))
    assert payload["foo"] == "bar"


def test_client_claim_header_replaced(with_claim_headers):
    headers = {**bearer(demo_token()), "x-jwt-sub": "spoofed"}
    echo = with_claim_headers.get("/headers", headers).json()
    assert header_from_echo(echo, "x-jwt-sub") == "testing@secure.istio.io"


def test_client_claim_header_removed_without_token(with_claim_headers):
    echo = with_claim_headers.get("/headers", {"x-jwt-sub": "spoofed"}).json()
    assert header_from_echo(echo, "x-jwt-sub") is None


def test_client_payload_header_removed_without_token(with_claim_headers):
    echo = with_claim_headers.get("/headers", {"x-jwt-payload": "e30"}).json()
    assert header_from_echo(echo, "x-jwt-payload") is None


def test_forward_original_token_keeps_authorization(with_claim_headers):
    token = demo_token()
    echo = with_claim_headers.get("/headers", bearer(token)).json()
    assert header_from_echo(echo, "Authorization") == f"Bearer {token}"
