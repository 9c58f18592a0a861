"""Invalid configuration: rejected at startup with its location, and at reload without
disturbing the configuration being served."""

import re
import subprocess

import pytest

from harness import (DATA_DIR, eventually, free_port, gateway_argv, istio_task_yaml,
                     make_config_dir, render, start_gateway, write_atomically)

# Fixtures: importing them makes pytest use them in this module.
from harness import (builtin_httpbin, launcher, log_dir, module_launcher,
                     print_logs_on_failure)  # noqa: F401

POLICY = "policy.yaml"
# Not valid YAML: the flow sequence is never closed.
BROKEN_YAML = "apiVersion: security.istio.io/v1\nkind: [AuthorizationPolicy\n"
EXIT_TIMEOUT = 15.0


def base_files(httpbin_port: int) -> dict[str, str]:
    return {
        "serviceentry.yaml": render("httpbin-serviceentry.yaml", HTTPBIN_PORT=httpbin_port),
        "gateway-vs.yaml": istio_task_yaml("authn-policy-01-gateway-vs.yaml"),
    }


def line_of(text: str, needle: str) -> int:
    """Return the 1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found")


@pytest.fixture
def invalid_start(builtin_httpbin, launcher, log_dir):
    """Run the gateway on a folder with an invalid policy. Return (exit status, output)."""
    files = base_files(builtin_httpbin.port)
    files[POLICY] = (DATA_DIR / "invalid-action-policy.yaml").read_text()
    config_dir = make_config_dir(log_dir, files)
    process = launcher.start("gateway", gateway_argv(free_port(), free_port(), config_dir))
    try:
        status = process.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        status = None  # still serving
    return status, process.log()


def test_invalid_file_exit_status(invalid_start):
    status, _ = invalid_start
    assert status == 1


def test_invalid_file_location(invalid_start):
    _, output = invalid_start
    line = line_of((DATA_DIR / "invalid-action-policy.yaml").read_text(), "action: PERMIT")
    assert re.search(rf"{re.escape(POLICY)}:{line}:\d+: error", output), output


def test_invalid_file_field(invalid_start):
    _, output = invalid_start
    assert "spec.action" in output


def test_invalid_file_value(invalid_start):
    _, output = invalid_start
    assert '"PERMIT"' in output


@pytest.fixture
def gateway(builtin_httpbin, launcher, log_dir):
    config_dir = make_config_dir(log_dir, base_files(builtin_httpbin.port))
    return start_gateway(launcher, config_dir)


BROKEN_POLICIES = {
    "yaml-syntax": BROKEN_YAML,
    "invalid-field": (DATA_DIR / "invalid-action-policy.yaml").read_text(),
}


def write_broken_policy(gateway, case: str) -> int:
    """Write a broken policy file and wait for the rejected reload.

    Returns the log offset from before the change.
    """
    log_start = len(gateway.log())
    write_atomically(gateway.config_dir / POLICY, BROKEN_POLICIES[case])
    assert gateway.wait_for_log("configuration reload rejected", start=log_start), \
        "the gateway did not log a rejected reload"
    return log_start


@pytest.mark.parametrize("case", BROKEN_POLICIES)
def test_broken_reload_keeps_serving(gateway, case):
    write_broken_policy(gateway, case)
    assert gateway.get("/headers").status == 200


@pytest.mark.parametrize("case", BROKEN_POLICIES)
def test_broken_reload_logs_location(gateway, case):
    log_start = write_broken_policy(gateway, case)
    assert re.search(rf"{re.escape(POLICY)}:\d+:\d+: error", gateway.log()[log_start:])


@pytest.mark.parametrize("case", BROKEN_POLICIES)
def test_broken_reload_keeps_version(gateway, case):
    version = gateway.config_version()
    write_broken_policy(gateway, case)
    assert gateway.config_version() == version


@pytest.mark.parametrize("case", BROKEN_POLICIES)
def test_fixed_file_serves_new_config(gateway, case):
    write_broken_policy(gateway, case)
    deny_all = (DATA_DIR / "deny-all-policy.yaml").read_text()
    write_atomically(gateway.config_dir / POLICY, deny_all)
    status = eventually(lambda: gateway.get("/headers").status, lambda current: current == 403)
    assert status == 403
