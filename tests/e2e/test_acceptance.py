"""Acceptance cases of tests/acceptance/cases.json, each in check mode and in serve mode.

Check mode runs `portcullis check --output json` per request. Serve mode starts one
`portcullis serve` per config set and sends real requests to it, with an echo upstream behind
it. test_modes_agree then requires both modes to give each request the same response.

Environment: PORTCULLIS_BINARY is the portcullis binary (CTest sets it). PORTCULLIS_SLOW=1 also
runs the timed case A06 in serve mode, which takes about 95 s of wall clock.
"""

import concurrent.futures
import os

import pytest

from acceptance_driver import ConfigResult, Driver, Exchange, gateway_key, load_cases

CASES = {case["id"]: case for case in load_cases()}
MODES = ("check", "serve")
SLOW = os.environ.get("PORTCULLIS_SLOW") == "1"
CHECK_WORKERS = 4

# Cases that need a feature the gateway does not have yet, by mode. Each is a strict xfail: the
# day one passes, pytest reports it as XPASS(strict), a failure, and its entry must go.
KNOWN_GAPS: dict[str, dict[str, str]] = {
    "check": {},
    "serve": {},
}

# Kinds whose cases send a single request, so that both modes can be compared.
SINGLE_REQUEST_KINDS = {"http", "minted", "client-ip", "listener-port", "jwks-unreachable",
                        "extauthz", "istiod-flag"}


def case_param(mode: str, case: dict):
    marks = []
    reason = KNOWN_GAPS[mode].get(case["id"])
    if reason:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    if mode == "serve" and case["kind"] == "timed":
        marks.append(pytest.mark.skipif(
            not SLOW, reason="needs about 95 s of wall clock; set PORTCULLIS_SLOW=1 to run it "
                             "(check mode covers the same schedule with --now)"))
    return pytest.param(mode, case["id"], id=f"{mode}-{case['id']}", marks=marks)


def serve_order(cases: list) -> list:
    """Order cases so that the cases of one config set run one after another."""
    first_seen = {}
    for index, case in enumerate(cases):
        first_seen.setdefault(gateway_key(case), index)
    return sorted(cases, key=lambda case: (first_seen[gateway_key(case)], case["id"]))


CASE_PARAMS = ([case_param("check", case) for case in CASES.values()] +
               [case_param("serve", case) for case in serve_order(list(CASES.values()))])


class Results:
    """Case results by mode, computed once. Check cases run in a thread pool, ahead of need."""

    def __init__(self, driver: Driver, pool: concurrent.futures.ThreadPoolExecutor):
        self.driver = driver
        self.pool = pool
        self.check_futures = {}
        self.serve_results = {}

    def submit_checks(self, case_ids) -> None:
        for case_id in case_ids:
            case = CASES[case_id]
            # The stand-in ext_authz server records check requests without telling callers
            # apart, so the cases that read those records run alone, in the test itself.
            if "ext-authz-server" in (case.get("needs") or []):
                continue
            if case_id not in self.check_futures and not self.driver.unmet_need("check", case):
                self.check_futures[case_id] = self.pool.submit(self.driver.run_case, "check", case)

    def get(self, mode: str, case: dict):
        if mode == "check":
            future = self.check_futures.get(case["id"])
            if future is None:
                future = concurrent.futures.Future()
                future.set_result(self.driver.run_case("check", case))
                self.check_futures[case["id"]] = future
            return future.result()
        if case["id"] not in self.serve_results:
            self.serve_results[case["id"]] = self.driver.run_case("serve", case)
        return self.serve_results[case["id"]]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    binary = os.environ.get("PORTCULLIS_BINARY")
    if not binary:
        pytest.fail("PORTCULLIS_BINARY is not set: point it at the portcullis binary "
                    "(ctest sets it for the e2e.acceptance entry)")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"PORTCULLIS_BINARY={binary} is not an executable file: build the "
                    f"portcullis target first")
    started = Driver(binary, tmp_path_factory.mktemp("acceptance"))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def results(driver, request):
    with concurrent.futures.ThreadPoolExecutor(max_workers=CHECK_WORKERS) as pool:
        shared = Results(driver, pool)
        selected = set()
        for item in request.session.items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if item.module is not request.module or "case_id" not in params:
                continue
            if params.get("mode", "check") == "check":
                selected.add(params["case_id"])
        shared.submit_checks(sorted(selected))
        try:
            yield shared
        finally:
            for future in shared.check_futures.values():
                future.cancel()


def skip_unmet(driver: Driver, mode: str, case: dict) -> None:
    reason = driver.unmet_need(mode, case)
    if reason:
        pytest.skip(f"{case['id']} in {mode} mode {reason}")


def assert_exchange(exchange: Exchange) -> None:
    """Compare one request's outcome with its expectation, one assert per expected field."""
    where = f"{exchange.label}: " if exchange.label else ""
    assert exchange.outcome is not None, where + exchange.error
    outcome, expect = exchange.outcome, exchange.expect

    if expect.get("status") is not None:
        assert outcome.status == expect["status"], f"{where}status (body {outcome.body!r})"
    if expect.get("body") is not None:
        assert outcome.body == expect["body"], f"{where}body"
    for name, value in (expect.get("headers_present") or {}).items():
        assert name.lower() in outcome.headers, f"{where}response header {name} missing"
        assert outcome.headers[name.lower()] == value, f"{where}response header {name}"
    for name in expect.get("headers_absent") or []:
        assert name.lower() not in outcome.headers, f"{where}response header {name} present"
    if expect.get("upstream_reached") is not None:
        assert outcome.forwarded == expect["upstream_reached"], f"{where}request forwarded"

    upstream_keys = ("upstream_headers_present", "upstream_headers_absent", "upstream_path")
    if any(expect.get(key) for key in upstream_keys):
        assert outcome.forwarded, f"{where}the upstream received no request to inspect"
        received = outcome.upstream_headers
        for name, value in (expect.get("upstream_headers_present") or {}).items():
            assert name.lower() in received, f"{where}upstream header {name} missing"
            assert received[name.lower()] == value, f"{where}upstream header {name}"
        for name in expect.get("upstream_headers_absent") or []:
            assert name.lower() not in received, f"{where}upstream header {name} present"
        if expect.get("upstream_path") is not None:
            assert outcome.upstream_target == expect["upstream_path"], f"{where}upstream path"

    if outcome.authz_checks is None:
        return
    if expect.get("authz_calls") is not None:
        assert len(outcome.authz_checks) == expect["authz_calls"], f"{where}ext_authz checks"
    expected_check = expect.get("authz_request")
    if expected_check:
        assert outcome.authz_checks, f"{where}the ext_authz server received no check request"
        check = outcome.authz_checks[0]
        assert check.method == expected_check["method"], f"{where}check request method"
        assert check.target == expected_check["path"], f"{where}check request path"
        assert check.headers.get("host") == expected_check["host"], f"{where}check request host"
        for name, value in (expected_check.get("headers_present") or {}).items():
            assert check.headers.get(name.lower()) == value, f"{where}check request header {name}"
        for name in expected_check.get("headers_absent") or []:
            assert name.lower() not in check.headers, f"{where}check request header {name}"


@pytest.mark.parametrize("mode,case_id", CASE_PARAMS)
def test_case(mode, case_id, driver, results):
    case = CASES[case_id]
    skip_unmet(driver, mode, case)
    result = results.get(mode, case)
    if isinstance(result, ConfigResult):
        assert result.rejected, result.detail
        return
    for exchange in result:
        assert_exchange(exchange)


AGREEMENT_IDS = [case_id for case_id, case in CASES.items()
                 if case["kind"] in SINGLE_REQUEST_KINDS]


@pytest.mark.parametrize("case_id", AGREEMENT_IDS)
def test_modes_agree(case_id, driver, results):
    """Check and serve give the same status, and the same body when the gateway replies itself."""
    case = CASES[case_id]
    for mode in MODES:
        skip_unmet(driver, mode, case)
    checked = results.get("check", case)[0]
    served = results.get("serve", case)[0]
    assert checked.outcome is not None, "check: " + checked.error
    assert served.outcome is not None, "serve: " + served.error

    assert checked.outcome.status == served.outcome.status, "status"
    assert checked.outcome.forwarded == served.outcome.forwarded, "request forwarded"
    if not served.outcome.forwarded:
        assert checked.outcome.body == served.outcome.body, "body of the gateway's own reply"
