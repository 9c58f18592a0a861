#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds come from the repository's own test data: the JOSE vectors under tests/vectors/jwt/,
the manifests under tests/vectors/config/ and tests/acceptance/fixtures/yaml/, and the requests
of tests/acceptance/cases.json. The output is committed, so the fuzz targets need nothing but
the repository. Run it again after changing a source, from any folder:

    /usr/bin/python3 tests/fuzz/make_seeds.py

Each target's folder is emptied first. Seed names say where a seed comes from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fuzz" / "corpus"
JWT_VECTORS = REPO / "tests" / "vectors" / "jwt"
CONFIG_VECTORS = REPO / "tests" / "vectors" / "config"
ACCEPTANCE = REPO / "tests" / "acceptance"
FIXTURES = ACCEPTANCE / "fixtures"

TARGETS = ("jwt", "jwks", "config", "http_request", "path", "authz_request", "authz_policy")


class Corpus:
    """Seed files of one target, named after their source; identical contents are kept once."""

    def __init__(self, target: str):
        self.folder = CORPUS / target
        self.digests: set[str] = set()
        self.count = 0

    def add(self, name: str, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode()
        digest = hashlib.sha1(data).hexdigest()
        if digest in self.digests:
            return
        self.digests.add(digest)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:80]
        (self.folder / f"{safe}-{digest[:8]}").write_bytes(data)
        self.count += 1


def reset(target: str) -> Corpus:
    folder = CORPUS / target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return Corpus(target)


# --- Tokens and key sets --------------------------------------------------------------------

def jwt_verify_lib_corpus() -> list[tuple[str, str, str]]:
    """(file name, jwt, jwks) of each text-format seed of jwt_verify_lib's own fuzzer."""
    seeds = []
    for path in sorted((JWT_VECTORS / "jwt_verify_lib" / "fuzz_corpus").iterdir()):
        text = path.read_text()
        jwt = re.search(r'^jwt:\s*"([^"]*)"', text, re.M)
        jwks = re.search(r"^jwks:\s*'(.*?)'\s*$", text, re.M | re.S)
        seeds.append((path.stem, jwt.group(1) if jwt else "", jwks.group(1) if jwks else ""))
    return seeds


def named_tokens() -> dict[str, str]:
    """Every token of the JWT vectors and acceptance fixtures, by the name the cases use."""
    tokens: dict[str, str] = {}
    for path in sorted((JWT_VECTORS / "istio-samples").glob("*.jwt")):
        tokens[path.name] = path.read_text().strip()
    for entry in json.loads((JWT_VECTORS / "istio-tests" / "tokens.json").read_text())["tokens"]:
        tokens[entry["name"]] = entry["jwt"]
    for path in (FIXTURES / "data" / "generated" / "tokens.txt",
                 FIXTURES / "data" / "istio-tests" / "tokens.txt"):
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if value:
                tokens.setdefault(name.strip(), value.strip())
    return tokens


def write_jwt_and_jwks() -> tuple[Corpus, Corpus]:
    jwt_corpus = reset("jwt")
    jwks_corpus = reset("jwks")
    for name, jwt, jwks in jwt_verify_lib_corpus():
        jwt_corpus.add(f"jwt_verify_lib-{name}", jwt)
        jwks_corpus.add(f"jwt_verify_lib-{name}", jwks)
    for name, token in named_tokens().items():
        jwt_corpus.add(f"istio-{name}", token)
    for case in json.loads((JWT_VECTORS / "jwt_verify_lib" / "cases.json").read_text()):
        label = "jwt_verify_lib-" + case["name"].split(":")[-1]
        if case.get("jwt"):
            jwt_corpus.add(label, case["jwt"])
        if case.get("jwks"):
            jwks_corpus.add(label, case["jwks"])
    for path in (JWT_VECTORS / "istio-samples" / "jwks.json",
                 JWT_VECTORS / "istio-tests" / "jwks.json"):
        jwks_corpus.add(f"{path.parent.name}-jwks", path.read_text())
    for path in sorted((JWT_VECTORS / "rfc" / "ietf-jose-cookbook" / "jwk").glob("*.json")):
        key = json.loads(path.read_text())
        if key.get("kty") in ("RSA", "EC", "oct", "OKP"):
            jwks_corpus.add(f"jose-cookbook-{path.stem}", json.dumps({"keys": [key]}))
    return jwt_corpus, jwks_corpus


# --- Manifests ------------------------------------------------------------------------------

def manifest_files() -> list[Path]:
    files = []
    for root in (CONFIG_VECTORS, FIXTURES / "yaml"):
        files.extend(sorted(root.rglob("*.yaml")))
    return files


def yaml_documents(text: str) -> list[str]:
    """The documents of a multi-document YAML file, split at lines that are exactly '---'."""
    return [doc.strip() + "\n" for doc in re.split(r"^---\s*$", text, flags=re.M) if doc.strip()]


def write_config_and_policies() -> tuple[Corpus, Corpus]:
    config_corpus = reset("config")
    policy_corpus = reset("authz_policy")
    for path in manifest_files():
        text = path.read_text()
        label = f"{path.parent.name}-{path.stem}"
        config_corpus.add(label, text)
        for index, document in enumerate(yaml_documents(text)):
            if re.search(r"^kind:\s*AuthorizationPolicy\s*$", document, re.M):
                policy_corpus.add(f"{label}-{index}", document)
    return config_corpus, policy_corpus


# --- Requests -------------------------------------------------------------------------------

def acceptance_requests() -> list[tuple[str, dict, str | None]]:
    """(case id, request, token text or None) of each acceptance case that sends a request."""
    tokens = named_tokens()
    requests = []
    for case in json.loads((ACCEPTANCE / "cases.json").read_text()):
        request = case.get("request")
        if not request or not request.get("path"):
            continue
        token = tokens.get(request.get("token") or "")
        requests.append((case["id"], request, token))
    return requests


def header_lines(request: dict) -> list[tuple[str, str]]:
    """The case's headers as (name, value) lines; a list value is one line per element."""
    lines = []
    for name, value in (request.get("headers") or {}).items():
        for item in value if isinstance(value, list) else [value]:
            lines.append((name, item))
    return lines


def raw_http(request: dict, token: str | None, tokens: dict[str, str]) -> bytes:
    """The HTTP/1.1 request a client sends for an acceptance case, token placed as specified."""
    target = request["path"]
    headers = [("Host", request.get("host") or "www.example.com")]
    for name, value in header_lines(request):
        value = re.sub(r"\{\{tok:([^}]+)\}\}", lambda m: tokens.get(m.group(1), ""), value)
        headers.append((name, value))
    if token:
        location = request.get("token_location") or "header"
        if location == "header":
            headers.append(("Authorization", "Bearer " + token))
        elif location == "query":
            separator = "&" if "?" in target else "?"
            target += f"{separator}{request.get('token_param') or 'access_token'}={token}"
        else:
            headers.append((location, (request.get("token_prefix") or "") + token))
    lines = [f"{request.get('method') or 'GET'} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# Requests that exercise the parser and the connection loop beyond what the cases send: bodies
# in both framings, pipelining, obsolete and conflicting framing, and malformed lines.
HANDWRITTEN_REQUESTS = {
    "post-content-length":
        b"POST /post HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 5\r\n\r\nhello",
    "post-chunked":
        b"POST /post HTTP/1.1\r\nHost: www.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
    "pipelined":
        b"GET /get HTTP/1.1\r\nHost: a.example.com\r\n\r\n"
        b"GET /status/418 HTTP/1.1\r\nHost: b.example.com\r\nConnection: close\r\n\r\n",
    "http10-keep-alive":
        b"GET /ip HTTP/1.0\r\nHost: www.example.com\r\nConnection: keep-alive\r\n\r\n",
    "expect-continue":
        b"PUT /put HTTP/1.1\r\nHost: www.example.com\r\nExpect: 100-continue\r\n"
        b"Content-Length: 3\r\n\r\nabc",
    "both-framings":
        b"POST /post HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "absolute-form":
        b"GET http://www.example.com/headers?x=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
    "dot-segments":
        b"GET /a/./b/../../headers/%2e%2E/%2Fx//y?q=%00 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
    "forwarded-for":
        b"GET /headers HTTP/1.1\r\nHost: www.example.com\r\n"
        b"X-Forwarded-For: 10.1.2.3, 192.168.5.233\r\nX-Forwarded-Proto: https\r\n\r\n",
    "hop-by-hop":
        b"GET /headers HTTP/1.1\r\nHost: www.example.com\r\nConnection: x-private, upgrade\r\n"
        b"X-Private: 1\r\nUpgrade: websocket\r\nTE: trailers\r\n\r\n",
    "duplicate-host":
        b"GET /headers HTTP/1.1\r\nHost: a.example.com\r\nHost: b.example.com\r\n\r\n",
    "no-host": b"GET /headers HTTP/1.1\r\n\r\n",
    "lower-case-method": b"get /headers HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
    "folded-header":
        b"GET /headers HTTP/1.1\r\nHost: www.example.com\r\nX-Long: a\r\n b\r\n\r\n",
    "bare-lf": b"GET /headers HTTP/1.1\nHost: www.example.com\n\n",
}

PATHS = [
    "/", "/headers", "/a/b/../c", "/a/./b/", "/..", "/../../etc/passwd", "//a//b///c",
    "/a%2Fb%2fc", "/a%5Cb%5cc", "\\a\\..\\b", "/%2e%2E/%2e/x", "/%41%42%7e%5F", "/a?b=%2F#frag",
    "/a#frag?x", "/%00", "/a\x00b", "*", "http://www.example.com/x", "/%", "/%2", "/%zz",
    "/foo/{*}/bar", "/allow/admin/x/y", "/store/a/b/cart",
]


def write_requests(requests: list[tuple[str, dict, str | None]]) -> Corpus:
    corpus = reset("http_request")
    tokens = named_tokens()
    for case_id, request, token in requests:
        # The target's first byte picks the read size; 0 means the whole input at once.
        corpus.add(f"case-{case_id}", b"\x00" + raw_http(request, token, tokens))
    for name, data in HANDWRITTEN_REQUESTS.items():
        corpus.add(name, b"\x00" + data)
        corpus.add(f"{name}-split", b"\x07" + data)
    return corpus


def write_paths(requests: list[tuple[str, dict, str | None]]) -> Corpus:
    corpus = reset("path")
    for path in PATHS:
        corpus.add("path", path)
    for case_id, request, _ in requests:
        corpus.add(f"case-{case_id}", request["path"])
    return corpus


def write_authz_requests(requests: list[tuple[str, dict, str | None]]) -> Corpus:
    """Requests in the line format of authz_request_fuzz.cc, with identities from the tokens."""
    corpus = reset("authz_request")
    for case_id, request, token in requests:
        issuer = subject = ""
        claims = "{}"
        if token:
            payload = token.split(".")[1]
            payload += "=" * (-len(payload) % 4)
            try:
                decoded = json.loads(base64.urlsafe_b64decode(payload))
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                issuer = str(decoded.get("iss", ""))
                subject = str(decoded.get("sub", ""))
                claims = json.dumps(decoded, separators=(",", ":"))
        lines = [
            request.get("method") or "GET",
            request.get("host") or "www.example.com",
            request["path"].split("?")[0],
            request.get("peer") or "10.0.0.9",
            "192.168.5.233" if "X-Forwarded-For" in (request.get("headers") or {}) else "",
            "8080",
            f"{issuer}/{subject}" if token else "",
            claims if token else "",
        ]
        lines += [f"{name}: {value}" for name, value in header_lines(request)]
        corpus.add(f"case-{case_id}", "\n".join(lines) + "\n")
    return corpus


def main() -> None:
    requests = acceptance_requests()
    corpora = [*write_jwt_and_jwks(), *write_config_and_policies(), write_requests(requests),
               write_paths(requests), write_authz_requests(requests)]
    for corpus in corpora:
        print(f"{corpus.folder.relative_to(REPO)}: {corpus.count} seeds")


if __name__ == "__main__":
    main()
