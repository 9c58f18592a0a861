"""`portcullis check --output text`: one line per pipeline stage in order, the field that
failed and the value it compared for a denial, and the request the upstream receives."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness import DATA_DIR, SAMPLES_DIR, portcullis_binary

VALIDATE_DIR = DATA_DIR / "validate"
# Gateway, VirtualService and ServiceEntry, then a RequestAuthentication for the demo issuer
# and an ALLOW policy: a principal for /api/*, anyone for GET /public/*.
CONFIG = [VALIDATE_DIR / "gateway.yaml", VALIDATE_DIR / "clean.yaml"]
RUN_TIMEOUT = 60.0


def demo_token() -> str:
    return (SAMPLES_DIR / "demo.jwt").read_text().strip()


def check(request: str, *args: str, output: str = "text") -> subprocess.CompletedProcess:
    """Run `portcullis check` on CONFIG for `request` ('METHOD URL')."""
    argv = [portcullis_binary(), "check", "--request", request, "--output", output]
    for path in CONFIG:
        argv += ["--config", str(path)]
    result = subprocess.run(argv + list(args), capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return result


def line_starting(text: str, prefix: str) -> str:
    for line in text.splitlines():
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starts with {prefix!r}:\n{text}")


def test_denial_names_principal_field():
    text = check("GET http://example.com/api/items").stdout
    assert ("rule 0: from[0].source.requestPrincipals: no verified JWT (request has no "
            "principal)") in text, text


def test_denial_names_path_value():
    text = check("GET http://example.com/api/items").stdout
    assert 'rule 1: to[0].operation.paths: "/api/items" does not match any of ["/public/*"]' \
        in text, text


def test_denial_summarized():
    text = check("GET http://example.com/api/items").stdout
    assert line_starting(text, "authorization: ") == (
        "authorization: denied: ALLOW policies apply to this gateway and none of their rules "
        "matched")


def test_denial_answer():
    text = check("GET http://example.com/api/items").stdout
    assert 'answer: 403 "RBAC: access denied"' in text, text


def test_missing_token_explained():
    text = check("GET http://example.com/api/items").stdout
    line = line_starting(text, "JWT istio-system/demo jwtRules[0]")
    assert line.endswith(': no token'), line


def test_stages_in_order():
    text = check("GET http://example.com/public/a", "-H",
                 f"Authorization: Bearer {demo_token()}").stdout
    prefixes = ["request: ", "normalization: ", "CUSTOM: ", "JWT istio-system/demo", "JWT: ",
                "ALLOW istio-system/api-access: ", "authorization: ", "routing: ", "answer: ",
                "identity: ", "upstream request: "]
    lines = text.splitlines()
    positions = [next(i for i, line in enumerate(lines) if line.startswith(prefix))
                 for prefix in prefixes]
    assert positions == sorted(positions), text


def test_normalization_shown():
    text = check("GET http://example.com/api/../public/a").stdout
    assert line_starting(text, "normalization: ") == (
        'normalization: path "/api/../public/a" becomes "/public/a" (pathNormalization BASE)')


def test_expired_token_rejection():
    # --now after the demo token's exp (4685989700) plus Envoy's 60 s of skew.
    text = check("GET http://example.com/public/a", "-H", f"Authorization: Bearer {demo_token()}",
                 "--now", "4685989800").stdout
    assert "at header authorization: Jwt is expired [JwtExpired]" in text, text
    assert line_starting(text, "authorization: ").startswith("authorization: not reached"), text


def test_token_stripped_upstream():
    text = check("GET http://example.com/public/a", "-H",
                 f"Authorization: Bearer {demo_token()}").stdout
    assert "  token stripped from header authorization (forwardOriginalToken is false)" in text
    assert "  - authorization" in text.splitlines(), text


def test_added_headers_listed():
    text = check("GET http://example.com/public/a").stdout
    assert "  + x-forwarded-proto: http" in text.splitlines(), text


def test_json_keeps_fields():
    result = json.loads(check("GET http://example.com/public/a", "-H",
                              f"Authorization: Bearer {demo_token()}", output="json").stdout)
    assert result["status"] == 200
    assert result["body"] == ""
    assert result["headers"] == {}
    assert result["upstream"]["path"] == "/public/a"
    assert "authorization" not in result["upstream"]["headers"]


def test_json_upstream_changes():
    result = json.loads(check("GET http://example.com/public/a", "-H",
                              f"Authorization: Bearer {demo_token()}", output="json").stdout)
    assert result["upstream"]["removed_headers"] == ["authorization"]
    assert result["upstream"]["added_headers"]["x-forwarded-for"] == "127.0.0.1"
    assert result["upstream"]["token"]["kept"] is False


def test_json_stages():
    result = json.loads(check("GET http://example.com/api/items", output="json").stdout)
    summaries = [(stage["stage"], stage["outcome"]) for stage in result["stages"]
                 if "outcome" in stage]
    assert summaries == [("normalization", "unchanged"), ("custom", "none"),
                         ("jwt", "no token"), ("authz", "denied"), ("routing", "not reached")]


# The httpbin workload of istio.io's "Explicitly deny a request" task behind the task's gateway:
# the endpoint's labels make the task's DENY policy in foo attach to the workload.
WORKLOAD_CONFIG = [DATA_DIR / "istio-io" / "authn-policy-01-gateway-vs.yaml",
                   DATA_DIR / "istio-io" / "authz-deny-01-deny-method-get.yaml"]


def check_workload(tmp_path: Path, request: str) -> str:
    service_entry = tmp_path / "serviceentry.yaml"
    service_entry.write_text((DATA_DIR / "httpbin-workload-serviceentry.yaml").read_text()
                             .replace("${HTTPBIN_PORT}", "8000"))
    argv = [portcullis_binary(), "check", "--request", request, "--output", "text",
            "--config", str(service_entry)]
    for path in WORKLOAD_CONFIG:
        argv += ["--config", str(path)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_workload_stage_named(tmp_path):
    text = check_workload(tmp_path, "GET http://httpbin.example.com/headers")
    line = line_starting(text, "workload: ")
    assert line.startswith("workload: the endpoint is ServiceEntry foo/httpbin endpoint 0 "
                           "(workload in namespace foo with labels {app: httpbin, version: v1})"), \
        line


def test_workload_denial_explained(tmp_path):
    text = check_workload(tmp_path, "GET http://httpbin.example.com/headers")
    assert line_starting(text, "workload authorization: ") == \
        "workload authorization: denied by DENY policy foo/deny-method-get rule 0"


def test_workload_stage_after_gateway_stages(tmp_path):
    text = check_workload(tmp_path, "GET http://httpbin.example.com/headers")
    lines = text.splitlines()
    prefixes = ["authorization: ", "routing: ", "workload: ", "DENY foo/deny-method-get: ",
                "workload authorization: ", "answer: "]
    positions = [next(i for i, line in enumerate(lines) if line.startswith(prefix))
                 for prefix in prefixes]
    assert positions == sorted(positions), text


def test_workload_allows_other_method(tmp_path):
    text = check_workload(tmp_path, "POST http://httpbin.example.com/post")
    assert line_starting(text, "answer: ").startswith("answer: 200, forwarded"), text
