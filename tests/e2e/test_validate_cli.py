"""`portcullis validate`: exit statuses, errors with their file and line, one warning per
analysis on the fixtures of data/validate/, and the acceptance fixtures, which must validate."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from harness import DATA_DIR, REPO_ROOT, portcullis_binary

VALIDATE_DIR = DATA_DIR / "validate"
GATEWAY = VALIDATE_DIR / "gateway.yaml"
CASES_DIR = REPO_ROOT / "tests" / "acceptance" / "fixtures" / "yaml" / "cases"
RUN_TIMEOUT = 60.0

# The Gateway API identity of the acceptance cases that use base-gateway-api.yaml.
GATEWAY_API_IDENTITY = ["--namespace", "foo",
                        "--labels", "gateway.networking.k8s.io/gateway-name=gw"]

# Each fixture of data/validate/ and the one analysis it triggers.
WARNING_FIXTURES = {
    "gateway-not-selected.yaml": "GatewayNotSelected",
    "policy-not-applied.yaml": "PolicyNotApplied",
    "peer-identity.yaml": "PeerIdentityNeverPresent",
    "sni.yaml": "SniNeverPresent",
    "no-request-authentication.yaml": "NoRequestAuthentication",
    "issuer-not-configured.yaml": "IssuerNotConfigured",
    "port-not-served.yaml": "PortNotServed",
    "overlapping-issuer.yaml": "OverlappingIssuer",
    "shared-token-location.yaml": "SharedTokenLocation",
    "allow-nothing.yaml": "AllowNothing",
    "mesh-wide-allow-nothing.yaml": "MeshWideAllowNothing",
}


def validate(*args: str | Path) -> subprocess.CompletedProcess:
    """Run `portcullis validate ARGS...` and return the finished process with text output."""
    return subprocess.run([portcullis_binary(), "validate", *map(str, args)],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)


def validate_json(*args: str | Path) -> tuple[int, dict]:
    """Run `validate --output json ARGS...` and return its exit status and parsed output."""
    result = validate("--output", "json", *args)
    assert result.stdout, f"no output, exit {result.returncode}, stderr: {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def line_of(path: Path, needle: str) -> int:
    """Return the 1-based number of the first line of `path` containing `needle`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {path}")


def codes(report: dict) -> list[str]:
    return [finding["code"] for finding in report["findings"]]


# --- Exit statuses --------------------------------------------------------------------------

def test_clean_exit_status():
    assert validate("--config", GATEWAY, "--config", VALIDATE_DIR / "clean.yaml").returncode == 0


def test_clean_reports_nothing():
    _, report = validate_json("--config", GATEWAY, "--config", VALIDATE_DIR / "clean.yaml")
    assert report["findings"] == []


def test_warnings_exit_zero():
    result = validate("--config", GATEWAY, "--config", VALIDATE_DIR / "allow-nothing.yaml")
    assert result.returncode == 0, result.stdout


def test_error_exit_one():
    result = validate("--config", GATEWAY, "--config", VALIDATE_DIR / "invalid-policy.yaml")
    assert result.returncode == 1, result.stdout


def test_missing_file_exit_one():
    result = validate("--config", VALIDATE_DIR / "no-such-file.yaml")
    assert result.returncode == 1, result.stdout


def test_missing_file_named():
    result = validate("--config", VALIDATE_DIR / "no-such-file.yaml")
    assert "no-such-file.yaml" in result.stdout


@pytest.mark.parametrize("args", [
    pytest.param([], id="no-config"),
    pytest.param(["--config", GATEWAY, "--output", "yaml"], id="bad-output"),
    pytest.param(["--config", GATEWAY, "--labels", "istio"], id="bad-labels"),
    pytest.param(["--config", GATEWAY, "--port-map", "80:8080"], id="bad-port-map"),
])
def test_usage_error_exit_two(args):
    assert validate(*args).returncode == 2


# --- Errors ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def invalid_output() -> str:
    return validate("--config", GATEWAY, "--config", VALIDATE_DIR / "invalid-policy.yaml").stdout


def test_error_file_and_line(invalid_output):
    path = VALIDATE_DIR / "invalid-policy.yaml"
    line = line_of(path, "action: PERMIT")
    assert re.search(rf"{re.escape(str(path))}:{line}:\d+: error", invalid_output), invalid_output


def test_error_field(invalid_output):
    assert "spec.action" in invalid_output


def test_error_value(invalid_output):
    assert '"PERMIT"' in invalid_output


def test_error_counted(invalid_output):
    assert "1 error, 0 warnings" in invalid_output


def test_error_skips_analyses():
    _, report = validate_json("--config", GATEWAY, "--config", VALIDATE_DIR / "invalid-policy.yaml")
    assert report["analyzed"] is False


# --- Warnings -------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture,code", WARNING_FIXTURES.items(), ids=WARNING_FIXTURES.values())
def test_warning_reported(fixture, code):
    status, report = validate_json("--config", GATEWAY, "--config", VALIDATE_DIR / fixture)
    assert status == 0
    assert codes(report) == [code], json.dumps(report, indent=2)


@pytest.mark.parametrize("fixture,code", WARNING_FIXTURES.items(), ids=WARNING_FIXTURES.values())
def test_warning_has_hint(fixture, code):
    _, report = validate_json("--config", GATEWAY, "--config", VALIDATE_DIR / fixture)
    assert all(finding["hint"] for finding in report["findings"]), json.dumps(report, indent=2)


@pytest.mark.parametrize("fixture,code", WARNING_FIXTURES.items(), ids=WARNING_FIXTURES.values())
def test_warning_text_location(fixture, code):
    path = VALIDATE_DIR / fixture
    _, report = validate_json("--config", GATEWAY, "--config", path)
    finding = report["findings"][0]
    text = validate("--config", GATEWAY, "--config", path).stdout
    assert f"{path}:{finding['line']}:" in text, text
    assert f"warning: {finding['object']}: {finding['field']}: " in text, text
    assert f"[{code}]" in text, text


def test_port_hint_names_listen_port():
    _, report = validate_json("--config", GATEWAY,
                              "--config", VALIDATE_DIR / "port-not-served.yaml")
    assert 'gateway port 80 listens on 8080, so write "8080"' in report["findings"][0]["hint"]


def test_port_map_changes_listen_port():
    # With port 80 listening on 80, ports: ["80"] matches and nothing is reported.
    _, report = validate_json("--config", GATEWAY,
                              "--config", VALIDATE_DIR / "port-not-served.yaml",
                              "--port-map", "80=80")
    assert report["findings"] == []


def test_gateway_hint_names_labels():
    _, report = validate_json("--config", GATEWAY, "--config",
                              VALIDATE_DIR / "gateway-not-selected.yaml")
    assert "--labels istio=egressgateway" in report["findings"][0]["hint"]


def test_labels_select_other_gateway():
    # Run as the egress gateway: foo/egress is served, foo/httpbin-gateway is not.
    _, report = validate_json("--config", GATEWAY, "--config",
                              VALIDATE_DIR / "gateway-not-selected.yaml",
                              "--labels", "istio=egressgateway")
    objects = [finding["object"] for finding in report["findings"]]
    assert objects == ["Gateway foo/httpbin-gateway"], json.dumps(report, indent=2)


# --- Acceptance fixtures --------------------------------------------------------------------

def acceptance_params():
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        if path.name.startswith("base-"):
            continue
        params.append(pytest.param(CASES_DIR / "base-istio-gateway.yaml", path, [],
                                   id=f"istio-{path.stem}"))
        if "gateway-api" in path.name:
            params.append(pytest.param(CASES_DIR / "base-gateway-api.yaml", path,
                                       GATEWAY_API_IDENTITY, id=f"gateway-api-{path.stem}"))
    return params


@pytest.mark.parametrize("base,fixture,identity", acceptance_params())
def test_acceptance_fixture_valid(base, fixture, identity):
    status, report = validate_json("--config", base, "--config", fixture, *identity)
    assert status == 0, json.dumps(report, indent=2)
    assert report["errors"] == 0
