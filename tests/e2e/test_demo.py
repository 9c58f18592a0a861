"""The built-in demo: `portcullis serve` without --config serves Istio's end-user
authentication task with its own httpbin and the demo key set compiled in."""

import pytest

from harness import SAMPLES_DIR, bearer, demo_token, start_gateway

# Fixtures: importing them makes pytest use them in this module.
from harness import module_launcher, log_dir, print_logs_on_failure  # noqa: F401


@pytest.fixture(scope="module")
def demo(module_launcher):
    return start_gateway(module_launcher, None)


def test_headers_without_token(demo):
    assert demo.get("/headers").status == 200


def test_demo_token_accepted(demo):
    assert demo.get("/headers", bearer(demo_token())).status == 200


def test_malformed_token_status(demo):
    assert demo.get("/headers", bearer("deadbeef")).status == 401


def test_malformed_token_body(demo):
    response = demo.get("/headers", bearer("deadbeef"))
    expected = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"
    assert response.text == expected


def test_log_names_headers_command(demo):
    assert f"curl -i http://localhost:{demo.port}/headers" in demo.log()


def test_log_names_demo_token_path(demo):
    assert str(SAMPLES_DIR / "demo.jwt") in demo.log()


def test_log_names_bad_token_command(demo):
    assert 'curl -i -H "Authorization: Bearer deadbeef"' in demo.log()
