"""No secret reaches the gateway's log, even at the most verbose level.

The gateway runs with --log-level trace while it verifies valid, forged and malformed tokens
from the Authorization header, the access_token parameter and a cookie, rejects a malformed
request, and reloads a configuration with an inline key set. Then its whole log is searched for
each token, its signature, the cookie value and the key's modulus.
"""

import json

import pytest

import harness
from harness import (JwksServer, b64url, demo_jwks, demo_token, gateway_argv, make_config_dir,
                     raw_connect, render, start_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import httpbin, log_dir, module_launcher, print_logs_on_failure  # noqa: F401

COOKIE_SECRET = "c00k1e-s3cr3t-0f-the-sess10n"

REQUEST_AUTHENTICATION = """\
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: {jwks_uri}
  - issuer: cookie@secure.istio.io
    jwks: '{inline_jwks}'
    fromCookies: [session]
"""

GATEWAY = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: istio-system
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination:
        host: httpbin.foo.svc.cluster.local
        port: {number: 8000}
"""


@pytest.fixture(scope="module")
def quiet_secrets(httpbin, module_launcher, log_dir):
    """Runs the traffic and returns (the gateway's log, the secrets it must not contain)."""
    jwks = JwksServer(demo_jwks())
    jwks.start()
    try:
        config_dir = make_config_dir(log_dir, {
            "serviceentry.yaml": render("httpbin-serviceentry.yaml", HTTPBIN_PORT=httpbin.port),
            "gateway.yaml": GATEWAY,
            "requestauthentication.yaml": REQUEST_AUTHENTICATION.format(
                jwks_uri=jwks.url, inline_jwks=demo_jwks().replace("\n", "")),
        })
        # Log at trace, the most verbose level, where gateway_argv sets info.
        harness.gateway_argv = _trace_argv
        try:
            gateway = start_gateway(module_launcher, config_dir)
        finally:
            harness.gateway_argv = gateway_argv
        token = demo_token()
        header, payload, signature = token.split(".")
        forged = ".".join([header, payload, b64url(b"not the signature")])
        statuses = [
            gateway.get("/headers", {"Authorization": f"Bearer {token}"}).status,
            gateway.get("/headers", {"Authorization": f"Bearer {forged}"}).status,
            gateway.get(f"/headers?access_token={token}").status,
            gateway.get(f"/headers?access_token={forged}").status,
            gateway.get("/headers", {"Cookie": f"session={COOKIE_SECRET}"}).status,
            gateway.get("/headers", {"Cookie": f"session={forged}; other=1"}).status,
            gateway.get("/headers", {"Authorization": f"Bearer {payload}.{signature}"}).status,
        ]
        with raw_connect(gateway.port) as sock:
            # A malformed request that carries a token: 400.
            sock.sendall(b"GET /headers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                         token.encode() + b"\r\nBad Header\r\n\r\n")
            sock.recv(4096)
        modulus = json.loads(demo_jwks())["keys"][0]["n"]
        secrets = {"token": token, "forged token": forged, "signature": signature,
                   "payload": payload, "cookie value": COOKIE_SECRET, "key modulus": modulus}
        return statuses, gateway.log(), secrets
    finally:
        jwks.stop()


def _trace_argv(*args, **kwargs):
    argv = gateway_argv(*args, **kwargs)
    argv[argv.index("--log-level") + 1] = "trace"
    return argv


def test_traffic_as_expected(quiet_secrets):
    statuses, _, _ = quiet_secrets
    assert statuses == [200, 401, 200, 401, 401, 401, 401]


@pytest.mark.parametrize("secret", ["token", "forged token", "signature", "payload",
                                    "cookie value", "key modulus"])
def test_secret_not_logged(quiet_secrets, secret):
    _, log, secrets = quiet_secrets
    assert secrets[secret] not in log, f"the {secret} appears in the gateway's log"


def test_malformed_request_logged(quiet_secrets):
    # The searches above mean something only if the log saw the traffic: the 400 is logged at
    # debug level, with the peer and the parser's reason but not the request's bytes.
    _, log, _ = quiet_secrets
    assert "bad request from 127.0.0.1" in log, log
