"""Load: wrk sends mixed traffic through `portcullis serve` for a bounded time. The gateway must
give every request the status its kind expects, stay up, and keep its RSS flat once warmed up.

data/adversarial/load.lua builds the requests (valid, forged and malformed tokens, no token,
and two kinds of policy denial, over kept-alive and new connections) and counts the responses by
path. The upstream is the built-in httpbin. The run lasts PORTCULLIS_LOAD_SECONDS seconds, 60 by
default and 180 in `make test`. A longer run makes a slow leak easier to see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from harness import portcullis_binary, render
from test_adversarial_http import (ADVERSARIAL, ADVERSARIAL_DIR, edge_config, start_edge_gateway)

# Fixtures: importing them makes pytest use them in this module.
from harness import (builtin_httpbin, log_dir, module_launcher,  # noqa: F401
                     print_logs_on_failure)

ISSUER = "https://load.example"
KID = "load-key"
LOAD_SECONDS = int(os.environ.get("PORTCULLIS_LOAD_SECONDS", "60"))
# wrk threads, each with one connection (see load.lua).
CONNECTIONS = 4
VALID_TOKENS = 32
RSS_SAMPLE_SECONDS = 2.0
# How far VmRSS may rise after the first third of the run. By then the buffers of the four
# connections, each worker's token cache and the allocator's arenas have reached their steady
# size, because load.lua sends fewer distinct tokens than a cache holds. A leak of 100 bytes
# per request exceeds this bound within 40 s at 1,000 requests a second.
RSS_GROWTH_LIMIT_KIB = 4 * 1024

EXPECTED_STATUS = {
    "/anything/valid": 200,
    "/anything/forged": 401,
    "/anything/malformed": 401,
    "/anything/anon": 200,
    "/anything/member": 403,
    "/anything/denied": 403,
}


@dataclass
class LoadRun:
    counts: dict[tuple[str, int], int]  # responses by path and status
    requests: int
    errors: dict[str, int]  # wrk's connect, read, write and timeout errors
    rss_kib: list[tuple[float, int]] = field(default_factory=list)  # seconds from start, VmRSS
    wrk_output: str = ""
    running_after: bool = False
    ready_after: int | None = None


def mint_tokens(key_path, count: int) -> list[str]:
    """Mint `count` valid tokens with `portcullis token mint`, each with its own subject."""
    def mint(number: int) -> str:
        result = subprocess.run([portcullis_binary(), "token", "mint", "--key", str(key_path),
                                 "--alg", "RS256", "--kid", KID, "--issuer", ISSUER,
                                 "--subject", f"user-{number}",
                                 "--lifetime", str(LOAD_SECONDS + 3600)],
                                capture_output=True, text=True, check=True, timeout=60)
        return result.stdout.strip()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(mint, range(count)))


def sample_rss(gateway, stop: threading.Event, samples: list, started: float) -> None:
    while not stop.is_set():
        rss = gateway.memory_kib("VmRSS")
        if rss is not None:
            samples.append((time.monotonic() - started, rss))
        stop.wait(RSS_SAMPLE_SECONDS)


def parse_wrk(output: str) -> tuple[dict[tuple[str, int], int], int, dict[str, int]]:
    counts: dict[tuple[str, int], int] = {}
    requests, errors = 0, {}
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["LOAD_COUNT"] and len(parts) == 4:
            counts[(parts[1], int(parts[2]))] = int(parts[3])
        elif parts[:1] == ["LOAD_ERRORS"] and len(parts) == 6:
            requests = int(parts[1])
            errors = dict(zip(["connect", "read", "write", "timeout"], map(int, parts[2:])))
    return counts, requests, errors


@pytest.fixture(scope="module")
def load_run(builtin_httpbin, module_launcher, log_dir) -> LoadRun:
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.fail("wrk is not installed; scripts/install-deps.sh installs it")
    folder = log_dir / "load"
    folder.mkdir()
    key_path, jwks_path = folder / "key.pem", folder / "jwks.json"
    subprocess.run([portcullis_binary(), "token", "keygen", "--alg", "RS256", "--kid", KID,
                    "--key-out", str(key_path), "--jwks-out", str(jwks_path)],
                   capture_output=True, check=True, timeout=60)
    tokens = mint_tokens(key_path, VALID_TOKENS)
    tokens_file = folder / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    header, payload, _ = tokens[0].split(".")

    authentication = render(ADVERSARIAL + "inline-requestauthentication.yaml", NAME="load",
                            ISSUER=ISSUER, JWKS=jwks_path.read_text().strip())
    config_dir = edge_config(log_dir, builtin_httpbin.port, policies="load-policies.yaml",
                             files={"requestauthentication.yaml": authentication})
    gateway = start_edge_gateway(module_launcher, config_dir)

    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    started = time.monotonic()
    sampler = threading.Thread(target=sample_rss, args=(gateway, stop, samples, started))
    sampler.start()
    env = {**os.environ, "LOAD_TOKENS_FILE": str(tokens_file),
           "LOAD_FORGED_PREFIX": f"{header}.{payload}."}
    try:
        result = subprocess.run([wrk, "-t", str(CONNECTIONS), "-c", str(CONNECTIONS),
                                 "-d", f"{LOAD_SECONDS}s", "--timeout", "5s",
                                 "-s", str(ADVERSARIAL_DIR / "load.lua"),
                                 f"http://127.0.0.1:{gateway.port}/"],
                                capture_output=True, text=True, env=env,
                                timeout=LOAD_SECONDS + 60)
    finally:
        stop.set()
        sampler.join()
    counts, requests, errors = parse_wrk(result.stdout)
    # Shown when a test fails, or with pytest -s.
    print(result.stdout)
    print("VmRSS KiB by second:", [(round(seconds), rss) for seconds, rss in samples])
    return LoadRun(counts, requests, errors, samples, result.stdout + result.stderr,
                   gateway.process.running(), gateway.ready_status())


def test_load_gateway_alive(load_run):
    assert load_run.running_after, "the gateway exited during the load; see its log"


def test_load_gateway_ready(load_run):
    assert load_run.ready_after == 200


def test_load_no_wrk_errors(load_run):
    assert load_run.errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}, \
        load_run.wrk_output


def test_load_all_counted(load_run):
    assert load_run.requests > 0
    assert sum(load_run.counts.values()) == load_run.requests


@pytest.mark.parametrize("path", EXPECTED_STATUS)
def test_load_path_answered(load_run, path):
    assert load_run.counts.get((path, EXPECTED_STATUS[path]), 0) > 0


@pytest.mark.parametrize("path", EXPECTED_STATUS)
def test_load_path_no_unexpected_status(load_run, path):
    unexpected = {status: count for (counted_path, status), count in load_run.counts.items()
                  if counted_path == path and status != EXPECTED_STATUS[path]}
    assert unexpected == {}


def test_load_no_unknown_path(load_run):
    assert {path for path, _ in load_run.counts} <= set(EXPECTED_STATUS)


def test_load_rss_flat_after_warm_up(load_run):
    warm = [rss for seconds, rss in load_run.rss_kib if seconds >= LOAD_SECONDS / 3]
    assert len(warm) >= 2, f"too few RSS samples: {load_run.rss_kib}"
    assert max(warm) - warm[0] < RSS_GROWTH_LIMIT_KIB, f"VmRSS samples: {load_run.rss_kib}"
