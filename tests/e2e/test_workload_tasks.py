"""The istio.io tasks that target the httpbin workload, through a gateway with its default identity.

The gateway runs as Istio's default ingress gateway (namespace istio-system, labels
istio=ingressgateway and app=istio-ingressgateway), so the task manifests, which select
`app: httpbin` in namespace foo, do not attach to it. They attach to the httpbin workload: the
ServiceEntry endpoint labelled `app: httpbin, version: v1` (data/httpbin-workload-serviceentry.yaml).
The gateway enforces them after its own stages, as httpbin's sidecar would, with itself as the
mTLS peer cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account.

The manifests are the tasks' own ("Authorization with JWT": data/istio-io/authz-jwt-0*.yaml,
"Explicitly deny a request": data/istio-io/authz-deny-0*.yaml); only jwksUri is changed, to a
local server with Istio's demo key set. Each test puts the configuration folder in the state of
one task step, so tests can run alone or in any order.
"""

import pytest

from harness import (JwksServer, bearer, demo_jwks, demo_token, groups_token, header_from_echo,
                     istio_task_yaml, make_config_dir, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import httpbin, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

SERVICE_ENTRY = "serviceentry.yaml"
GATEWAY_VS = "gateway-vs.yaml"
REQUEST_AUTHENTICATION = "requestauthentication.yaml"
POLICY = "authorizationpolicy.yaml"
SECOND_POLICY = "authorizationpolicy-2.yaml"

GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
MALFORMED_MESSAGE = ("Jwt is not in the form of Header.Payload.Signature with two dots and 3 "
                     "sections")


@pytest.fixture(scope="module")
def jwks():
    server = JwksServer(demo_jwks())
    server.start()
    yield server
    server.stop()


def workload_service_entry(httpbin) -> str:
    return render("httpbin-workload-serviceentry.yaml", HTTPBIN_PORT=httpbin.port)


@pytest.fixture(scope="module")
def gateway(httpbin, module_launcher, log_dir):
    config_dir = make_config_dir(log_dir, {
        SERVICE_ENTRY: workload_service_entry(httpbin),
        GATEWAY_VS: istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
    })
    # No --namespace or --labels: the default ingress gateway identity.
    return start_gateway(module_launcher, config_dir)


def configure(gateway, httpbin, extra_files: dict[str, str], *,
              service_entry: str | None = None) -> None:
    """Serve the gateway and VirtualService of the tasks, httpbin's ServiceEntry and
    `extra_files`. `service_entry` replaces the labelled ServiceEntry."""
    files = {
        SERVICE_ENTRY: service_entry or workload_service_entry(httpbin),
        GATEWAY_VS: istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
    }
    files.update(extra_files)
    gateway.set_files(files)


def request_authentication(jwks) -> str:
    return istio_task_yaml("authz-jwt-01-requestauthentication.yaml", jwks_uri=jwks.url)


# --- Authorization with JWT ----------------------------------------------------------------

@pytest.fixture
def without_policies(gateway, httpbin):
    configure(gateway, httpbin, {})
    return gateway


@pytest.fixture
def with_request_authentication(gateway, httpbin, jwks):
    configure(gateway, httpbin, {REQUEST_AUTHENTICATION: request_authentication(jwks)})
    return gateway


@pytest.fixture
def with_require_jwt(gateway, httpbin, jwks):
    configure(gateway, httpbin, {
        REQUEST_AUTHENTICATION: request_authentication(jwks),
        POLICY: istio_task_yaml("authz-jwt-02-require-jwt.yaml"),
    })
    return gateway


@pytest.fixture
def with_require_groups(gateway, httpbin, jwks):
    configure(gateway, httpbin, {
        REQUEST_AUTHENTICATION: request_authentication(jwks),
        POLICY: istio_task_yaml("authz-jwt-03-require-jwt-groups.yaml"),
    })
    return gateway


def test_baseline_allows(without_policies):
    assert without_policies.get("/ip").status == 200


def test_invalid_token_rejected(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("invalidToken"))
    assert response.status == 401


def test_invalid_token_message(with_request_authentication):
    response = with_request_authentication.get("/headers", bearer("invalidToken"))
    assert response.text == MALFORMED_MESSAGE


def test_no_token_allowed(with_request_authentication):
    assert with_request_authentication.get("/headers").status == 200


def test_verified_token_allowed(with_request_authentication):
    assert with_request_authentication.get("/headers", bearer(demo_token())).status == 200


def test_verified_token_stripped(with_request_authentication):
    # The workload's jwtRule has no forwardOriginalToken, so the token stops at its sidecar.
    echo = with_request_authentication.get("/headers", bearer(demo_token())).json()
    assert header_from_echo(echo, "Authorization") is None


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


# --- Explicitly deny a request -------------------------------------------------------------

@pytest.fixture
def with_deny_get(gateway, httpbin):
    configure(gateway, httpbin, {POLICY: istio_task_yaml("authz-deny-01-deny-method-get.yaml")})
    return gateway


@pytest.fixture
def with_deny_get_unless_admin(gateway, httpbin):
    configure(gateway, httpbin, {
        POLICY: istio_task_yaml("authz-deny-02-deny-method-get-unless-admin.yaml"),
    })
    return gateway


@pytest.fixture
def with_allow_path_ip(gateway, httpbin):
    configure(gateway, httpbin, {
        POLICY: istio_task_yaml("authz-deny-02-deny-method-get-unless-admin.yaml"),
        SECOND_POLICY: istio_task_yaml("authz-deny-03-allow-path-ip.yaml"),
    })
    return gateway


def test_deny_get_denies_get(with_deny_get):
    assert with_deny_get.get("/get").status == 403


def test_deny_get_allows_post(with_deny_get):
    assert with_deny_get.request("POST", "/post", body=b"").status == 200


def test_deny_unless_admin_allows_admin(with_deny_get_unless_admin):
    assert with_deny_get_unless_admin.get("/get", {"x-token": "admin"}).status == 200


def test_deny_unless_admin_denies_guest(with_deny_get_unless_admin):
    assert with_deny_get_unless_admin.get("/get", {"x-token": "guest"}).status == 403


def test_allow_ip_denies_guest(with_allow_path_ip):
    # deny-method-get still denies a GET without x-token admin.
    assert with_allow_path_ip.get("/ip", {"x-token": "guest"}).status == 403


def test_allow_ip_allows_admin(with_allow_path_ip):
    assert with_allow_path_ip.get("/ip", {"x-token": "admin"}).status == 200


def test_allow_ip_denies_other_path(with_allow_path_ip):
    # allow-path-ip allows /ip only, so every other path is denied.
    assert with_allow_path_ip.get("/get", {"x-token": "admin"}).status == 403


# --- The gateway as the workload's mTLS peer -----------------------------------------------

def test_gateway_principal_allowed(gateway, httpbin):
    configure(gateway, httpbin, {
        POLICY: render("peer-principal-policy.yaml", PRINCIPAL=GATEWAY_PRINCIPAL),
    })
    assert gateway.get("/headers").status == 200


def test_other_principal_denied(gateway, httpbin):
    configure(gateway, httpbin, {
        POLICY: render("peer-principal-policy.yaml", PRINCIPAL="cluster.local/ns/foo/sa/sleep"),
    })
    assert gateway.get("/headers").status == 403


# --- Endpoints with and without labels -----------------------------------------------------

def test_namespace_policy_reaches_workload(gateway, httpbin):
    configure(gateway, httpbin, {POLICY: render("namespace-deny-all-policy.yaml")})
    assert gateway.get("/headers").status == 403


def test_namespace_policy_skips_plain_endpoint(gateway, httpbin):
    # The same ServiceEntry without endpoint labels: a backend without a sidecar.
    plain = render("httpbin-serviceentry.yaml", HTTPBIN_PORT=httpbin.port)
    configure(gateway, httpbin, {POLICY: render("namespace-deny-all-policy.yaml")},
              service_entry=plain)
    assert gateway.get("/headers").status == 200
