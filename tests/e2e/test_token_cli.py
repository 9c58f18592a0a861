"""`portcullis token`: exit statuses and output of verify, decode, mint and keygen, and tokens
minted and verified for every algorithm.

`token verify` must agree with the gateway. It is checked against the expected statuses of
jwt_verify_lib's verify cases, and against `portcullis check` on Istio's test tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from harness import (DEMO_ISSUER, DEMO_KID, REPO_ROOT, SAMPLES_DIR, JwksServer, free_port,
                     portcullis_binary)

VECTORS_DIR = REPO_ROOT / "tests" / "vectors" / "jwt"
ISTIO_TESTS_DIR = VECTORS_DIR / "istio-tests"
RUN_TIMEOUT = 60.0

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA", "HS256", "HS384", "HS512"]
# Bytes of r || s in ES256, ES384 and ES512 signatures (RFC 7518 section 3.4).
EC_SIGNATURE_BYTES = {"ES256": 64, "ES384": 96, "ES512": 132}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run `portcullis ARGS...` and return the finished process with text output."""
    return subprocess.run([portcullis_binary(), *args], input=stdin, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)


def verify_json(*args: str, stdin: str | None = None) -> tuple[int, dict]:
    """Run `token verify --output json ARGS...`; return its exit status and parsed output."""
    result = run("token", "verify", "--output", "json", *args, stdin=stdin)
    assert result.stdout, f"no output, exit {result.returncode}, stderr: {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def mint(*args: str) -> str:
    """Run `token mint ARGS...`, which must succeed; return the token."""
    result = run("token", "mint", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def decode(token: str) -> dict:
    result = run("token", "decode", token)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def demo_token() -> str:
    return (SAMPLES_DIR / "demo.jwt").read_text().strip()


DEMO_JWKS = str(SAMPLES_DIR / "jwks.json")
DEMO_KEY = str(SAMPLES_DIR / "key.pem")


# --- verify: exit statuses and output --------------------------------------------------------

def test_verify_valid_exit_status():
    status, _ = verify_json("--jwks", DEMO_JWKS, "--issuer", DEMO_ISSUER, demo_token())
    assert status == 0


def test_verify_valid_fields():
    _, output = verify_json("--jwks", DEMO_JWKS, "--issuer", DEMO_ISSUER, demo_token())
    assert output["valid"] is True
    assert output["status"] == "Ok"
    assert output["message"] == "OK"
    assert output["header"]["kid"] == DEMO_KID
    assert output["claims"]["iss"] == DEMO_ISSUER
    assert output["claims"]["foo"] == "bar"
    assert "http_status" not in output


def test_verify_expired_exit_status():
    token = mint("--key", DEMO_KEY, "--issuer", DEMO_ISSUER, "--now", "1000", "--lifetime", "10")
    status, _ = verify_json("--jwks", DEMO_JWKS, token)
    assert status == 1


def test_verify_expired_fields():
    token = mint("--key", DEMO_KEY, "--issuer", DEMO_ISSUER, "--now", "1000", "--lifetime", "10")
    _, output = verify_json("--jwks", DEMO_JWKS, token)
    assert output["valid"] is False
    assert output["status"] == "JwtExpired"
    assert output["message"] == "Jwt is expired"
    assert output["http_status"] == 401
    assert output["claims"]["exp"] == 1010


def test_verify_unknown_issuer():
    status, output = verify_json("--jwks", DEMO_JWKS, "--issuer", "other@example.com",
                                 demo_token())
    assert status == 1
    assert output["status"] == "JwtUnknownIssuer"
    assert output["message"] == "Jwt issuer is not configured"


def test_verify_audience_not_allowed():
    status, output = verify_json("--jwks", DEMO_JWKS, "--audience", "a", "--audience", "b",
                                 demo_token())
    assert status == 1
    assert output["status"] == "JwtAudienceNotAllowed"
    assert output["http_status"] == 403


def test_verify_audience_allowed():
    token = mint("--key", DEMO_KEY, "--audience", "https://b/")
    status, output = verify_json("--jwks", DEMO_JWKS, "--audience", "a", "--audience", "b",
                                 token)
    assert (status, output["status"]) == (0, "Ok")


def test_verify_signature_failure():
    token = demo_token()
    head, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    status, output = verify_json("--jwks", DEMO_JWKS, f"{head}.{payload}.{b64url(bytes(raw))}")
    assert status == 1
    assert output["status"] == "JwtVerificationFail"


def test_verify_bad_format():
    status, output = verify_json("--jwks", DEMO_JWKS, "not-a-token")
    assert status == 1
    assert output["status"] == "JwtBadFormat"
    assert "header" not in output
    assert "claims" not in output


def test_verify_default_skew():
    token = mint("--key", DEMO_KEY, "--now", "1000000", "--lifetime", "100")
    assert verify_json("--jwks", DEMO_JWKS, "--now", "1000160", token)[1]["status"] == "Ok"
    assert verify_json("--jwks", DEMO_JWKS, "--now", "1000161", token)[1]["status"] == \
        "JwtExpired"


def test_verify_custom_skew():
    token = mint("--key", DEMO_KEY, "--now", "1000000", "--lifetime", "100")
    args = ("--jwks", DEMO_JWKS, "--skew", "10")
    assert verify_json(*args, "--now", "1000110", token)[1]["status"] == "Ok"
    assert verify_json(*args, "--now", "1000111", token)[1]["status"] == "JwtExpired"


def test_verify_not_yet_valid():
    token = mint("--key", DEMO_KEY, "--now", "1000000", "--nbf", "100")
    args = ("--jwks", DEMO_JWKS)
    assert verify_json(*args, "--now", "1000039", token)[1]["status"] == "JwtNotYetValid"
    assert verify_json(*args, "--now", "1000040", token)[1]["status"] == "Ok"


def test_verify_reads_stdin():
    status, output = verify_json("--jwks", DEMO_JWKS, "-", stdin=f"\n  {demo_token()} \n")
    assert (status, output["status"]) == (0, "Ok")


def test_verify_trims_argument():
    status, _ = verify_json("--jwks", DEMO_JWKS, f"  {demo_token()}\n")
    assert status == 0


def test_verify_text_output():
    result = run("token", "verify", "--jwks", DEMO_JWKS, demo_token())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "valid: true"
    assert lines[1] == "status: Ok"
    assert lines[2] == "message: OK"


def test_verify_jwks_url():
    server = JwksServer((SAMPLES_DIR / "jwks.json").read_text())
    server.start()
    try:
        status, output = verify_json("--jwks", server.url, "--issuer", DEMO_ISSUER, demo_token())
        fetches = server.fetches
    finally:
        server.stop()
    assert (status, output["status"]) == (0, "Ok")
    assert fetches == 1


def test_verify_unusable_jwks_url():
    server = JwksServer('{"keys": []}')
    server.start()
    try:
        status, output = verify_json("--jwks", server.url, demo_token())
    finally:
        server.stop()
    # The gateway publishes no key set for such a jwksUri, which istiod's fallback key turns
    # into this status.
    assert (status, output["status"]) == (1, "JwtVerificationFail")


def test_verify_unusable_jwks_file(tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    status, output = verify_json("--jwks", str(jwks), demo_token())
    assert (status, output["status"]) == (1, "JwksNoValidKeys")


def test_verify_truncated_bearer_token():
    result = run("token", "verify", "--output", "json", "--jwks", DEMO_JWKS,
                 demo_token() + "=")
    assert result.returncode == 0, result.stderr
    assert "only up to the first character" in result.stderr


@pytest.mark.parametrize("args", [
    pytest.param(["--bogus"], id="unknown-flag"),
    pytest.param([], id="no-token"),
    pytest.param(["--output", "yaml"], id="bad-output"),
    pytest.param(["--now=-5"], id="negative-now"),
])
def test_verify_bad_flags_exit_status(args):
    result = run("token", "verify", "--jwks", DEMO_JWKS, *args,
                 *([demo_token()] if args else []))
    assert result.returncode == 2, result.stderr


def test_verify_without_jwks_exit_status():
    result = run("token", "verify", demo_token())
    assert result.returncode == 2
    assert "--jwks is required" in result.stderr


def test_verify_unreadable_file_exit_status(tmp_path):
    missing = tmp_path / "missing.json"
    result = run("token", "verify", "--jwks", str(missing), demo_token())
    assert result.returncode == 2
    assert str(missing) in result.stderr


def test_verify_unfetchable_url_exit_status():
    url = f"http://127.0.0.1:{free_port()}/jwks.json"
    result = run("token", "verify", "--jwks", url, demo_token())
    assert result.returncode == 2
    assert url in result.stderr


def test_verify_empty_stdin_exit_status():
    result = run("token", "verify", "--jwks", DEMO_JWKS, "-", stdin="  \n")
    assert result.returncode == 2
    assert "no token" in result.stderr


def test_verify_multiline_token_exit_status():
    result = run("token", "verify", "--jwks", DEMO_JWKS, "-",
                 stdin=demo_token() + "\n" + demo_token())
    assert result.returncode == 2
    assert "control character" in result.stderr


# --- decode ---------------------------------------------------------------------------------

def test_decode_fields():
    result = run("token", "decode", demo_token())
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["verified"] is False
    assert output["header"]["kid"] == DEMO_KID
    assert output["claims"]["sub"] == DEMO_ISSUER


def test_decode_notes_not_verified():
    result = run("token", "decode", demo_token())
    assert "not verified" in result.stderr


def test_decode_expired_token():
    token = mint("--key", DEMO_KEY, "--now", "1000", "--lifetime", "10")
    assert decode(token)["claims"]["exp"] == 1010


def test_decode_not_a_jwt():
    result = run("token", "decode", "abc.def")
    assert result.returncode == 1
    assert "not a JWT" in result.stderr


def test_decode_bad_flag():
    result = run("token", "decode", "--bogus", demo_token())
    assert result.returncode == 2


# --- mint and keygen ------------------------------------------------------------------------

def keygen(folder: Path, alg: str, *extra: str) -> tuple[Path, Path, str]:
    """Run `token keygen`; return the key file, the JWKS file and the printed kid."""
    key, jwks = folder / f"{alg}.key", folder / f"{alg}.jwks.json"
    result = run("token", "keygen", "--alg", alg, "--key-out", str(key), "--jwks-out",
                 str(jwks), *extra)
    assert result.returncode == 0, result.stderr
    return key, jwks, result.stdout.strip()


def thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint, computed here independently of Portcullis."""
    required = {"RSA": ["e", "kty", "n"], "EC": ["crv", "kty", "x", "y"],
                "OKP": ["crv", "kty", "x"], "oct": ["k", "kty"]}[jwk["kty"]]
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"),
                           sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_keygen_mint_verify(tmp_path, alg):
    key, jwks, kid = keygen(tmp_path, alg)
    token = mint("--key", str(key), "--alg", alg, "--issuer", "https://issuer.example",
                 "--audience", "api")
    status, output = verify_json("--jwks", str(jwks), "--issuer", "https://issuer.example",
                                 "--audience", "api", token)
    assert (status, output["status"]) == (0, "Ok")
    assert output["header"]["alg"] == alg
    assert output["header"]["kid"] == kid


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_keygen_jwks_fields(tmp_path, alg):
    _, jwks, kid = keygen(tmp_path, alg)
    keys = json.loads(jwks.read_text())["keys"]
    assert len(keys) == 1
    assert keys[0]["alg"] == alg
    assert keys[0]["use"] == "sig"
    assert keys[0]["kid"] == kid
    assert kid == thumbprint(keys[0])


@pytest.mark.parametrize("alg", ["ES256", "HS256"])
def test_keygen_key_file_mode(tmp_path, alg):
    key, _, _ = keygen(tmp_path, alg)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_keygen_private_key_pem(tmp_path):
    key, _, _ = keygen(tmp_path, "EdDSA")
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_keygen_refuses_overwrite(tmp_path):
    keygen(tmp_path, "ES256")
    result = run("token", "keygen", "--alg", "ES256", "--key-out", str(tmp_path / "ES256.key"),
                 "--jwks-out", str(tmp_path / "other.json"))
    assert result.returncode == 2
    assert "--force" in result.stderr


def test_keygen_force_overwrites(tmp_path):
    _, _, first = keygen(tmp_path, "ES256")
    _, _, second = keygen(tmp_path, "ES256", "--force")
    assert first != second


def test_keygen_small_rsa_exit_status(tmp_path):
    result = run("token", "keygen", "--alg", "RS256", "--bits", "1024", "--key-out",
                 str(tmp_path / "k"), "--jwks-out", str(tmp_path / "j"))
    assert result.returncode == 2


@pytest.mark.parametrize("alg", sorted(EC_SIGNATURE_BYTES))
def test_mint_ecdsa_signature_length(tmp_path, alg):
    key, _, _ = keygen(tmp_path, alg)
    token = mint("--key", str(key), "--alg", alg)
    assert len(b64url_decode(token.split(".")[2])) == EC_SIGNATURE_BYTES[alg]


def test_mint_kid_is_thumbprint():
    token = mint("--key", DEMO_KEY, "--issuer", DEMO_ISSUER)
    assert decode(token)["header"]["kid"] == DEMO_KID


def test_mint_demo_key_verifies():
    token = mint("--key", DEMO_KEY, "--issuer", DEMO_ISSUER, "--subject", "alice")
    status, output = verify_json("--jwks", DEMO_JWKS, "--issuer", DEMO_ISSUER, token)
    assert (status, output["status"]) == (0, "Ok")


def test_mint_header():
    header = decode(mint("--key", DEMO_KEY, "--kid", "my-key"))["header"]
    assert header == {"alg": "RS256", "kid": "my-key", "typ": "JWT"}


def test_mint_no_kid():
    header = decode(mint("--key", DEMO_KEY, "--no-kid"))["header"]
    assert "kid" not in header


def test_mint_time_claims():
    claims = decode(mint("--key", DEMO_KEY, "--now", "5000", "--nbf", "-10"))["claims"]
    assert claims["iat"] == 5000
    assert claims["exp"] == 8600
    assert claims["nbf"] == 4990


def test_mint_lifetime_zero_has_no_exp():
    claims = decode(mint("--key", DEMO_KEY, "--lifetime", "0"))["claims"]
    assert "exp" not in claims


def test_mint_default_now_is_clock():
    before = int(time.time())
    claims = decode(mint("--key", DEMO_KEY))["claims"]
    assert before <= claims["iat"] <= int(time.time())


def test_mint_claims():
    token = mint("--key", DEMO_KEY, "--issuer", "iss-1", "--subject", "sub-1",
                 "--claim", "groups=a", "--claim", "groups=b", "--claim", "role=admin",
                 "--claims", '{"nested": {"key": [1, 2]}, "flag": true}')
    claims = decode(token)["claims"]
    assert claims["iss"] == "iss-1"
    assert claims["sub"] == "sub-1"
    assert claims["groups"] == ["a", "b"]
    assert claims["role"] == "admin"
    assert claims["nested"] == {"key": [1, 2]}
    assert claims["flag"] is True


def test_mint_claims_json_replaces_flags():
    claims = decode(mint("--key", DEMO_KEY, "--issuer", "a", "--claims", '{"iss": "b"}'))["claims"]
    assert claims["iss"] == "b"


def test_mint_single_audience_is_string():
    assert decode(mint("--key", DEMO_KEY, "--audience", "x"))["claims"]["aud"] == "x"


def test_mint_audiences_are_list():
    claims = decode(mint("--key", DEMO_KEY, "--audience", "x", "--audience", "y"))["claims"]
    assert claims["aud"] == ["x", "y"]


def test_mint_hmac_key_hex(tmp_path):
    secret = bytes(range(32))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "oct", "k": b64url(secret)}]}))
    token = mint("--alg", "HS256", "--key-hex", secret.hex())
    status, output = verify_json("--jwks", str(jwks), token)
    assert (status, output["status"]) == (0, "Ok")


def test_mint_hmac_key_file(tmp_path):
    secret = b"shared secret\n"
    key = tmp_path / "secret"
    key.write_bytes(secret)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "oct", "k": b64url(secret)}]}))
    token = mint("--alg", "HS384", "--key", str(key))
    status, output = verify_json("--jwks", str(jwks), token)
    assert (status, output["status"]) == (0, "Ok")


@pytest.mark.parametrize("args", [
    pytest.param(["--alg", "ES256", "--key", DEMO_KEY], id="key-does-not-fit-alg"),
    pytest.param(["--alg", "none", "--key", DEMO_KEY], id="unknown-alg"),
    pytest.param([], id="no-key"),
    pytest.param(["--key", "/nonexistent/key.pem"], id="unreadable-key"),
    pytest.param(["--key", DEMO_JWKS], id="not-a-pem"),
    pytest.param(["--alg", "RS256", "--key-hex", "00ff"], id="hex-for-rsa"),
    pytest.param(["--alg", "HS256", "--key-hex", "0g"], id="bad-hex"),
    pytest.param(["--key", DEMO_KEY, "--claim", "novalue"], id="bad-claim"),
    pytest.param(["--key", DEMO_KEY, "--claims", "[1]"], id="claims-not-object"),
    pytest.param(["--key", DEMO_KEY, "--kid", "a", "--no-kid"], id="kid-and-no-kid"),
    pytest.param(["--key", DEMO_KEY, "--now", "10", "--lifetime", "-20"], id="negative-exp"),
])
def test_mint_usage_errors(args):
    result = run("token", "mint", *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr


# --- Agreement with jwt_verify_lib's verify cases --------------------------------------------

def jwt_verify_lib_cases() -> list[dict]:
    cases = json.loads((VECTORS_DIR / "jwt_verify_lib" / "cases.json").read_text())
    return [case for case in cases if case["stage"] == "verify" and case["jwks_type"] == "JWKS"]


def case_args(case: dict, jwks: Path, now: int | None) -> list[str]:
    args = ["--jwks", str(jwks), "--skew", str(case.get("clock_skew", 60))]
    for audience in case.get("allowed_audiences") or []:
        args += ["--audience", audience]
    if now is not None:
        args += ["--now", str(now)]
    return args


@pytest.mark.parametrize("case", jwt_verify_lib_cases(), ids=lambda case: case["name"])
def test_jwt_verify_lib_case(tmp_path, case):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(case["jwks"])
    _, output = verify_json(*case_args(case, jwks, case["now"]), case["jwt"])
    assert output["status"] == case["expected_status"]


def mutated_tokens(token: str, mutation: str) -> list[str]:
    """One token per kind of mutation the description names: a bit flipped in the middle byte
    of the signature, and the signature cut to half its length."""
    head, payload, signature = token.split(".")
    raw = b64url_decode(signature)
    tokens = []
    if "bit flip" in mutation:
        flipped = bytearray(raw)
        flipped[len(flipped) // 2] ^= 0x10
        tokens.append(f"{head}.{payload}.{b64url(bytes(flipped))}")
    if "truncation" in mutation:
        tokens.append(f"{head}.{payload}.{b64url(raw[:len(raw) // 2])}")
    return tokens


@pytest.mark.parametrize("case", [case for case in jwt_verify_lib_cases()
                                  if case.get("signature_mutations")],
                         ids=lambda case: case["name"])
def test_jwt_verify_lib_mutation(tmp_path, case):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(case["jwks"])
    for mutation in case["signature_mutations"]:
        tokens = mutated_tokens(case["jwt"], mutation["mutation"])
        assert tokens, f"unknown mutation {mutation['mutation']!r}"
        for token in tokens:
            _, output = verify_json(*case_args(case, jwks, mutation["now"]), token)
            assert output["status"] == mutation["expected_status"], mutation["mutation"]


def test_jwt_verify_lib_case_count():
    assert len(jwt_verify_lib_cases()) == 38


# --- Agreement with `portcullis check` on Istio's test tokens --------------------------------

GATEWAY_YAML = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: backend
  namespace: istio-system
spec:
  hosts: [backend.example.internal]
  location: MESH_INTERNAL
  ports:
  - {number: 8000, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: {http: 9}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: backend
  namespace: istio-system
spec:
  hosts: ["*"]
  gateways: [gateway]
  http:
  - route:
    - destination:
        host: backend.example.internal
        port: {number: 8000}
"""


def request_authentication_yaml(issuer: str, audiences: list[str], jwks: str) -> str:
    rule = {"issuer": issuer, "jwks": jwks}
    if audiences:
        rule["audiences"] = audiences
    # JSON is YAML, which keeps the key set text exact.
    return json.dumps({
        "apiVersion": "security.istio.io/v1",
        "kind": "RequestAuthentication",
        "metadata": {"name": "jwt", "namespace": "istio-system"},
        "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}},
                 "jwtRules": [rule]},
    })


def istio_tokens() -> list[tuple[str, str, Path]]:
    """(name, token, key set file) of Istio's end-to-end test tokens and demo tokens."""
    tokens = json.loads((ISTIO_TESTS_DIR / "tokens.json").read_text())["tokens"]
    found = [(token["name"], token["jwt"], ISTIO_TESTS_DIR / "jwks.json") for token in tokens]
    for name in ["demo.jwt", "groups-scope.jwt"]:
        found.append((name, (SAMPLES_DIR / name).read_text().strip(), SAMPLES_DIR / "jwks.json"))
    return found


# Rules: (id, issuer, audiences). Tokens of other issuers or audiences must be rejected alike.
RULES = [
    ("issuer1", "test-issuer-1@istio.io", []),
    ("issuer1-aud", "test-issuer-1@istio.io", ["foo"]),
    ("issuer2", "test-issuer-2@istio.io", []),
    ("demo", DEMO_ISSUER, []),
]


def check_outcome(config_dir: Path, token: str, now: int) -> dict:
    result = run("check", "--config", str(config_dir), "--request",
                 "GET http://example.com/headers", "-H", f"Authorization: Bearer {token}",
                 "--now", str(now), "--output", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("rule_id,issuer,audiences", RULES, ids=[rule[0] for rule in RULES])
def test_istio_tokens_agree_with_check(tmp_path, rule_id, issuer, audiences):
    now = int(time.time())
    configs: dict[Path, Path] = {}
    disagreements = []
    for name, token, jwks in istio_tokens():
        if jwks not in configs:
            folder = tmp_path / f"config-{len(configs)}"
            folder.mkdir()
            (folder / "gateway.yaml").write_text(GATEWAY_YAML)
            (folder / "requestauthentication.yaml").write_text(
                request_authentication_yaml(issuer, audiences, jwks.read_text()))
            configs[jwks] = folder
        args = ["--jwks", str(jwks), "--issuer", issuer, "--now", str(now)]
        for audience in audiences:
            args += ["--audience", audience]
        _, verified = verify_json(*args, token)
        checked = check_outcome(configs[jwks], token, now)
        if verified["valid"]:
            agrees = checked["status"] == 200 and checked.get("forwarded") is True
        else:
            agrees = (checked["status"] == verified["http_status"] and
                      checked["body"] == verified["message"])
        if not agrees:
            disagreements.append(f"{name}: verify {verified['status']}, check "
                                 f"{checked['status']} {checked.get('body')!r}")
    assert not disagreements, "\n".join(disagreements)


def test_istio_tokens_cover_both_outcomes():
    """The agreement test above gets valid and rejected tokens for the issuer1 rule."""
    now = str(int(time.time()))
    statuses = set()
    for _, token, jwks in istio_tokens():
        _, output = verify_json("--jwks", str(jwks), "--issuer", "test-issuer-1@istio.io",
                                "--now", now, token)
        statuses.add(output["status"])
    assert {"Ok", "JwtExpired", "JwtUnknownIssuer"} <= statuses
