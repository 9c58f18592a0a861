"""Token tricks against `portcullis serve`: unsigned and confused algorithms, hostile key ids,
duplicate JSON members, base64url padding and whitespace, and tokens in several places.

The gateway verifies two issuers with one RSA key. The key set of UNPINNED has no "alg", as
Istio's demo key set, and the key set of PINNED has "alg": "RS256". Valid tokens are minted
with `portcullis token mint`, and tokens with a hand-made header or payload are signed with the
openssl CLI. Each case checks the response, that a rejected request never reached the
recording upstream, what an accepted one carried upstream, and that the gateway still serves.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import GatewaySupply, b64url, http_request, portcullis_binary, render
from test_adversarial_http import (ADVERSARIAL, BAD_FORMAT, RBAC_DENIED, edge_config,
                                   start_edge_gateway, still_serving)

# Fixtures: importing them makes pytest use them in this module.
from harness import log_dir, module_launcher, print_logs_on_failure  # noqa: F401
from test_adversarial_http import upstream  # noqa: F401

UNPINNED = "https://unpinned.example"
PINNED = "https://pinned.example"
KID = "edge-key"
HOST = "edge.test"
TARGET = "/public/tokens"

VERIFICATION_FAILS = "Jwt verification fails"
KID_ALG_MISMATCH = "Jwks doesn't have key to match kid or alg from Jwt"
ALG_NOT_SUPPORTED = "Jwt header [alg] is not supported"
ISSUER_NOT_CONFIGURED = "Jwt issuer is not configured"
EXPIRED = "Jwt is expired"
PAYLOAD_BAD_BASE64 = "Jwt payload is an invalid Base64url encoded"


def run_checked(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{argv[:3]} failed: {result.stderr}"
    return result.stdout.strip()


def sign_rs256(key: Path, signing_input: str) -> str:
    """Return the base64url RS256 signature of `signing_input`, made by the openssl CLI."""
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key)],
                               input=signing_input.encode(), capture_output=True, check=True,
                               timeout=60).stdout
    return b64url(signature)


def hand_made(key: Path, header: str, payload: str) -> str:
    """Sign the exact JSON texts `header` and `payload`, so duplicate members survive."""
    signing_input = b64url(header.encode()) + "." + b64url(payload.encode())
    return signing_input + "." + sign_rs256(key, signing_input)


def claims_text(issuer: str = UNPINNED, expires: int | None = None, extra: str = "") -> str:
    expires = expires if expires is not None else int(time.time()) + 3600
    return f'{{"iss":"{issuer}","sub":"alice","exp":{expires}{extra}}}'


@dataclass
class Keys:
    private_key: Path
    public_key: Path
    pinned_jwks: str  # the key set keygen wrote, with "alg": "RS256"
    unpinned_jwks: str  # the same key without "alg" and "use"


@pytest.fixture(scope="module")
def keys(log_dir) -> Keys:
    folder = log_dir / "token-keys"
    folder.mkdir()
    private_key, jwks_path = folder / "edge.pem", folder / "edge.jwks.json"
    run_checked([portcullis_binary(), "token", "keygen", "--alg", "RS256", "--kid", KID,
                 "--key-out", str(private_key), "--jwks-out", str(jwks_path)])
    public_key = folder / "edge.public.pem"
    public_key.write_text(run_checked(["openssl", "pkey", "-in", str(private_key), "-pubout"]) +
                          "\n")
    pinned = json.loads(jwks_path.read_text())
    unpinned = {"keys": [{name: value for name, value in key.items()
                          if name not in ("alg", "use")} for key in pinned["keys"]]}
    return Keys(private_key, public_key, json.dumps(pinned), json.dumps(unpinned))


def mint(*args: str) -> str:
    return run_checked([portcullis_binary(), "token", "mint", *args])


def padded(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def padding_filler() -> str:
    """Return an extra claim that gives the payload's base64url text a length that needs
    padding."""
    for size in range(4):
        extra = f',"pad":"{"x" * size}"'
        if len(b64url(claims_text(extra=extra).encode())) % 4:
            return extra
    raise AssertionError("no filler size gives a payload that needs padding")


def two_algs(first: str, last: str) -> str:
    """Return a JOSE header with the member alg twice."""
    return f'{{"alg":"{first}","kid":"{KID}","alg":"{last}"}}'


@pytest.fixture(scope="module")
def tokens(keys) -> dict[str, str]:
    key = keys.private_key
    valid = mint("--key", str(key), "--alg", "RS256", "--kid", KID, "--issuer", UNPINNED,
                 "--subject", "alice")
    header, payload, signature = valid.split(".")
    none_header = b64url(b'{"alg":"none","typ":"JWT"}')
    # A payload whose base64url text needs padding, signed with its padding as a producer that
    # pads would sign it.
    padded_payload = padded(b64url(claims_text(extra=padding_filler()).encode()))
    padded_input = f"{header}.{padded_payload}"
    return {
        "valid": valid,
        "forged": f"{header}.{payload}.{b64url(bytes(256))}",
        "alg-none": f"{none_header}.{payload}.",
        "alg-none-signed": f"{none_header}.{payload}.{signature}",
        # HS256 keyed with the bytes of the RSA public key's PEM file: the classic confusion of
        # a verifier that takes the algorithm from the token.
        "hs256-public-key": mint("--key", str(keys.public_key), "--alg", "HS256", "--kid", KID,
                                 "--issuer", UNPINNED),
        "hs256-public-key-pinned": mint("--key", str(keys.public_key), "--alg", "HS256",
                                        "--kid", KID, "--issuer", PINNED),
        "kid-traversal": hand_made(key, '{"alg":"RS256","kid":"../../../../etc/passwd"}',
                                   claims_text()),
        "kid-4kib": hand_made(key, '{"alg":"RS256","kid":"' + "k" * 4096 + '"}', claims_text()),
        "duplicate-iss-last-configured": hand_made(
            key, f'{{"alg":"RS256","kid":"{KID}"}}',
            claims_text(issuer="https://attacker.example", extra=f',"iss":"{UNPINNED}"')),
        "duplicate-iss-last-unknown": hand_made(
            key, f'{{"alg":"RS256","kid":"{KID}"}}',
            claims_text(extra=',"iss":"https://attacker.example"')),
        "duplicate-alg-last-rs256": hand_made(key, two_algs("none", "RS256"), claims_text()),
        "duplicate-alg-last-none": hand_made(key, two_algs("RS256", "none"), claims_text()),
        "duplicate-exp-last-past": hand_made(
            key, f'{{"alg":"RS256","kid":"{KID}"}}',
            claims_text(extra=f',"exp":{int(time.time()) - 3600}')),
        "padded-signature": f"{header}.{payload}.{padded(signature)}",
        "padded-payload": f"{padded_input}.{sign_rs256(key, padded_input)}",
        "over-padded-payload": f"{padded_input}==.{sign_rs256(key, padded_input + '==')}",
        "space-inside": valid[:20] + " " + valid[20:],
        "expired-forged": (f"{header}." +
                           b64url(claims_text(expires=int(time.time()) - 3600).encode()) +
                           f".{b64url(bytes(256))}"),
        "unknown-issuer": mint("--key", str(key), "--alg", "RS256", "--kid", KID, "--issuer",
                               "https://attacker.example"),
    }


def bearer_line(token_name: str) -> tuple[str, str]:
    return ("Authorization", "Bearer {" + token_name + "}")


def query(token_name: str) -> str:
    return TARGET + "?access_token={" + token_name + "}"


@dataclass(frozen=True)
class TokenCase:
    """A request whose header values and target name tokens as {token-name} placeholders."""
    headers: tuple[tuple[str, str], ...]
    target: str
    status: int
    body: str | None  # None: the recording upstream's echo of the forwarded request
    # For a forwarded request: its target and Authorization values as the upstream gets them.
    upstream_target: str = TARGET
    upstream_authorization: tuple[str, ...] = ()


def rejected(headers=(), target=TARGET, body=VERIFICATION_FAILS) -> TokenCase:
    return TokenCase(tuple(headers), target, 401, body)


def accepted(headers=(), target=TARGET, authorization=()) -> TokenCase:
    return TokenCase(tuple(headers), target, 200, None, TARGET, tuple(authorization))


TOKEN_CASES = {
    "valid-header": accepted([bearer_line("valid")]),
    "valid-query": accepted(target=query("valid")),
    "forged-signature": rejected([bearer_line("forged")]),
    # An unsecured token with an empty signature fails the three-segment rule before its alg
    # is read. With a signature, its alg is not one that jwt_verify_lib implements.
    "alg-none": rejected([bearer_line("alg-none")], body=BAD_FORMAT),
    "alg-none-signed": rejected([bearer_line("alg-none-signed")], body=ALG_NOT_SUPPORTED),
    # The key's type decides how a signature is checked, never the token's alg, so an HMAC
    # over the public key's bytes is tried against an RSA key and fails. A key set that pins
    # alg does not even offer the key.
    "hs256-public-key": rejected([bearer_line("hs256-public-key")]),
    "hs256-public-key-pinned": rejected([bearer_line("hs256-public-key-pinned")],
                                       body=KID_ALG_MISMATCH),
    "kid-traversal": rejected([bearer_line("kid-traversal")], body=KID_ALG_MISMATCH),
    "kid-4kib": rejected([bearer_line("kid-4kib")], body=KID_ALG_MISMATCH),
    # A duplicate JSON member keeps its last value (RFC 7515 section 5.2 allows a parser to
    # keep the last one), in the header as in the payload.
    "duplicate-iss-last-configured": accepted([bearer_line("duplicate-iss-last-configured")]),
    "duplicate-iss-last-unknown": rejected([bearer_line("duplicate-iss-last-unknown")],
                                          body=ISSUER_NOT_CONFIGURED),
    "duplicate-alg-last-rs256": accepted([bearer_line("duplicate-alg-last-rs256")]),
    "duplicate-alg-last-none": rejected([bearer_line("duplicate-alg-last-none")],
                                       body=ALG_NOT_SUPPORTED),
    "duplicate-exp-last-past": rejected([bearer_line("duplicate-exp-last-past")], body=EXPIRED),
    # In a header, the token is the run of base64url characters and dots after "Bearer ", as
    # Envoy extracts it: padding after the signature is left out, padding inside cuts the
    # token short. A query parameter is taken whole, and exact padding decodes.
    "padded-signature-header": accepted([bearer_line("padded-signature")]),
    "padded-signature-query": accepted(target=query("padded-signature")),
    "padded-payload-header": rejected([bearer_line("padded-payload")], body=BAD_FORMAT),
    "padded-payload-query": accepted(target=query("padded-payload")),
    "over-padded-payload-query": rejected(target=query("over-padded-payload"),
                                         body=PAYLOAD_BAD_BASE64),
    # Whitespace ends the token in a header. In a query parameter the decoder skips it, but
    # the signature covers the segment as received, so it fails.
    "space-inside-header": rejected([bearer_line("space-inside")], body=BAD_FORMAT),
    "space-inside-query": rejected(target=TARGET + "?access_token={space-inside-encoded}"),
    "expired-forged-signature": rejected([bearer_line("expired-forged")], body=EXPIRED),
    "unknown-issuer": rejected([bearer_line("unknown-issuer")], body=ISSUER_NOT_CONFIGURED),
    # Every token the request carries is verified, and the first failure decides.
    "second-line-valid-then-forged": rejected([bearer_line("valid"), bearer_line("forged")]),
    "second-line-forged-then-valid": rejected([bearer_line("forged"), bearer_line("valid")]),
    "second-line-both-valid": accepted([bearer_line("valid"), bearer_line("valid")]),
    "header-valid-query-forged": rejected([bearer_line("valid")], query("forged")),
    "header-forged-query-valid": rejected([bearer_line("forged")], query("valid")),
    "header-and-query-valid": accepted([bearer_line("valid")], query("valid")),
    # One line with two tokens: the first run of token characters is the token, the rest of
    # the value is ignored, and the whole header is removed.
    "two-tokens-one-line": accepted([("Authorization", "Bearer {valid}, Bearer {forged}")]),
    # The prefix "Bearer " is matched case-sensitively, as in Envoy: "bearer" is no token
    # location, so the request passes without identity and the header reaches the upstream
    # unverified. An upstream must not trust an Authorization header the gateway let through.
    "lower-case-prefix": accepted([("Authorization", "bearer {valid}")],
                                  authorization=["bearer {valid}"]),
    # A valid token does not lift the path rules.
    "valid-token-admin-path": TokenCase((bearer_line("valid"),), "/admin/tokens", 403,
                                        RBAC_DENIED),
}
REJECTED_CASES = [name for name, case in TOKEN_CASES.items() if case.status == 401]


@pytest.fixture(scope="module")
def tokens_supply(upstream, keys, module_launcher, log_dir) -> GatewaySupply:
    files = {
        "unpinned.yaml": render(ADVERSARIAL + "inline-requestauthentication.yaml",
                                NAME="unpinned", ISSUER=UNPINNED, JWKS=keys.unpinned_jwks),
        "pinned.yaml": render(ADVERSARIAL + "inline-requestauthentication.yaml", NAME="pinned",
                              ISSUER=PINNED, JWKS=keys.pinned_jwks),
    }
    config_dir = edge_config(log_dir, upstream.port, files=files)
    return GatewaySupply(lambda: start_edge_gateway(module_launcher, config_dir))


@dataclass
class TokenOutcome:
    status: int
    body: str
    www_authenticate: str | None
    forwarded: list  # the requests the upstream read
    serving_after: bool


class TokenRuns:
    """Sends each case's request once, on first use, and keeps its TokenOutcome."""

    def __init__(self, supply: GatewaySupply, upstream, tokens: dict[str, str]):
        self._supply = supply
        self._upstream = upstream
        self.values = dict(tokens)  # what the {token-name} placeholders stand for
        self.values["space-inside-encoded"] = urllib.parse.quote(tokens["space-inside"])
        self._done: dict[str, TokenOutcome] = {}

    def fill(self, text: str) -> str:
        return text.format(**self.values)

    def __getitem__(self, name: str) -> TokenOutcome:
        if name not in self._done:
            self._done[name] = self._run(TOKEN_CASES[name])
        return self._done[name]

    def _run(self, case: TokenCase) -> TokenOutcome:
        gateway = self._supply.get()
        headers = [("Host", HOST)] + [(key, self.fill(value)) for key, value in case.headers]
        mark = self._upstream.mark()
        response = http_request(gateway.port, "GET", self.fill(case.target), headers)
        time.sleep(0.05)  # a request forwarded by mistake would be recorded by now
        return TokenOutcome(response.status, response.text,
                            response.header("www-authenticate"),
                            self._upstream.received_since(mark), still_serving(gateway))


@pytest.fixture(scope="module")
def runs(tokens_supply, upstream, tokens) -> TokenRuns:
    return TokenRuns(tokens_supply, upstream, tokens)


def echoed_target(body: str) -> str | None:
    try:
        return json.loads(body)["target"]
    except (ValueError, KeyError, TypeError):
        return None


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_token_status(runs, case):
    assert runs[case].status == TOKEN_CASES[case].status


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_token_body(runs, case):
    expected = TOKEN_CASES[case].body
    outcome = runs[case]
    if expected is None:
        assert echoed_target(outcome.body) == TOKEN_CASES[case].upstream_target
    else:
        assert outcome.body == expected


@pytest.mark.parametrize("case", REJECTED_CASES)
def test_token_www_authenticate(runs, case):
    value = runs[case].www_authenticate or ""
    assert value.startswith(f'Bearer realm="http://{HOST}')
    assert value.endswith(', error="invalid_token"')


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_token_upstream_requests(runs, case):
    forwarded = [request.target for request in runs[case].forwarded]
    expected = [] if TOKEN_CASES[case].body is not None else [TOKEN_CASES[case].upstream_target]
    assert forwarded == expected


@pytest.mark.parametrize("case", [name for name, case in TOKEN_CASES.items()
                                  if case.body is None])
def test_token_upstream_authorization(runs, case):
    (request,) = runs[case].forwarded
    expected = [runs.fill(value) for value in TOKEN_CASES[case].upstream_authorization]
    assert request.header_values("authorization") == expected


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_token_still_serving(runs, case):
    assert runs[case].serving_after, "a normal request failed afterwards; see the log"
