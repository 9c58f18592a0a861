#!/usr/bin/env bash
# Load benchmark of Portcullis beside nginx and HAProxy 2.6 (native jwt_verify), plus the
# micro-benchmarks, on one machine over loopback. Writes bench/results/<tag>.md and prints it.
#
#   bench/run.sh                                   # everything, about 25 minutes
#   MODES="keepalive forged" TARGETS="haproxy-rs256 portcullis-rs256" DURATION=5 bench/run.sh
#
# Targets (TARGETS):
#   nginx-plain       nginx reverse proxy, upstream keep-alive, no authentication
#   haproxy-plain     HAProxy reverse proxy, no authentication
#   haproxy-rs256     HAProxy: alg, iss and exp checks, then jwt_verify("RS256", <PEM key>)
#   haproxy-es256     the same with ES256
#   portcullis-plain  Portcullis with a Gateway, VirtualService and ServiceEntry only
#   portcullis-rs256  plus a RequestAuthentication (inline JWKS, one RS256 key) and an ALLOW
#                     AuthorizationPolicy that requires a request principal
#   portcullis-es256  the same with an ES256 key
# Every target proxies to the same upstream: one nginx worker that serves `return 200` on
# 127.0.0.1. Every request carries the same headers, an RS256 or ES256 bearer token included
# (the plain targets get the RS256 token and forward it).
#
# Modes (MODES), all with wrk -t$THREADS -c$CONNS for $DURATION s after a 1 s warm-up, unless
# noted. "Pinned": wrk and the upstream share core $LOADGEN_CPU, and the proxy runs alone on
# core $PROXY_CPU with 1 worker (nginx worker_processes 1, HAProxy nbthread 1, Portcullis
# --workers 1).
#   keepalive    pinned, keep-alive, one valid token repeated
#   rotate       pinned, keep-alive, $ROTATE_TOKENS distinct valid tokens in turn (JWT targets)
#   rotate-cold  the same with $COLD_TOKENS tokens, more than Portcullis's token cache holds
#   close        pinned, "Connection: close": a new TCP connection per request
#   forged       pinned, keep-alive, every request must get 401; $FORGED_TOKENS distinct
#                forged tokens in turn per row. Portcullis: one row each for a bad signature,
#                an unknown kid, a wrong issuer and an expired token; HAProxy: bad signature.
#   rate         pinned, h2load --h1 at a fixed $RATE req/s over $RATE_CONNS connections:
#                latency percentiles at moderate load
#   idle         pinned, RSS when idle and with $IDLE_CONNS idle keep-alive connections that
#                have each served one request (bench/idle_clients.py)
#   scale        unpinned, keep-alive, one token: 1 worker, then 2 workers
#   micro        bench/micro (Google Benchmark) and `openssl speed` on core $PROXY_CPU
#   profile      callgrind on Portcullis (RS256, keep-alive) and syscalls per request of the
#                plain proxies (strace -c)
#
# Each row records req/s, latency p50/p99, the proxy's CPU time per request (utime+stime of
# its processes from /proc/<pid>/stat over the measured run, divided by the requests served),
# its RSS after the run, and a check: no status >= 400 and no socket errors, or in the forged
# mode a 401 for every request (wrk counts the errors; a curl probe checks the exact status
# first). CPU time that other programs used on the proxy's core during a row is reported as
# "other load"; a row with more than $MAX_OTHER_LOAD % is run again once.
#
# Knobs (environment): DURATION (10), CONNS (64), THREADS (2), MODES, TARGETS, TAG (UTC time),
# RATE (5000), RATE_CONNS (16), ROTATE_TOKENS (1000), COLD_TOKENS (10000),
# FORGED_TOKENS (10000), IDLE_CONNS (10000), LOADGEN_CPU (0), PROXY_CPU (1),
# MAX_OTHER_LOAD (5), BUILD_DIR (build-bench), WORK (BUILD_DIR/bench-work), JOBS (2),
# MICRO_MIN_TIME (0.5, seconds per micro-benchmark), SKIP_INSTALL (1: never run apt-get),
# WAIT_FOR_QUIET (0: seconds to wait, after the build, for a 1-minute load average below
# $QUIET_LOAD on six checks ten seconds apart; the page records whether it happened).
#
# Everything the script starts is stopped by PID when it exits, and every load run is bounded
# with `timeout`. Only 127.0.0.1 is used.

set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MODES=${MODES:-"keepalive rotate rotate-cold close forged rate idle scale micro profile"}
TARGETS=${TARGETS:-"nginx-plain haproxy-plain haproxy-rs256 haproxy-es256 portcullis-plain portcullis-rs256 portcullis-es256"}
TAG=${TAG:-$(date -u +%Y%m%dT%H%M%SZ)}
RATE=${RATE:-5000}
RATE_CONNS=${RATE_CONNS:-16}
ROTATE_TOKENS=${ROTATE_TOKENS:-1000}
COLD_TOKENS=${COLD_TOKENS:-10000}
FORGED_TOKENS=${FORGED_TOKENS:-10000}
IDLE_CONNS=${IDLE_CONNS:-10000}
LOADGEN_CPU=${LOADGEN_CPU:-0}
PROXY_CPU=${PROXY_CPU:-1}
MAX_OTHER_LOAD=${MAX_OTHER_LOAD:-5}
BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
WORK=${WORK:-$BUILD_DIR/bench-work}
JOBS=${JOBS:-2}
MICRO_MIN_TIME=${MICRO_MIN_TIME:-0.5}
SKIP_INSTALL=${SKIP_INSTALL:-0}
WAIT_FOR_QUIET=${WAIT_FOR_QUIET:-0}
QUIET_LOAD=${QUIET_LOAD:-0.5}

PYTHON=/usr/bin/python3
ISSUER=https://issuer.bench.example
AUDIENCE=api.bench.example
CLK_TCK=$(getconf CLK_TCK)
LOAD_TIMEOUT=$((DURATION + 30))

RUN_DIR=$WORK/$TAG
KEYS=$WORK/keys
RESULTS_DIR=$BENCH_DIR/results
ROWS_TSV=$RUN_DIR/rows.tsv
IDLE_TSV=$RUN_DIR/idle.tsv
META=$RUN_DIR/meta.txt
PORTCULLIS=$BUILD_DIR/src/portcullis
MICRO_BIN=$BUILD_DIR/bench/portcullis_micro_bench

log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

has_mode() { [[ " $MODES " == *" $1 "* ]]; }

# ------------------------------------------------------------------------------------------
# Processes. Every PID the script starts goes into STARTED, and cleanup() stops them, newest
# first.

STARTED=()

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stop_pid() {
  local pid=$1 children i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  children=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  for child in $children; do
    kill -0 "$child" 2>/dev/null && kill -KILL "$child" 2>/dev/null
  done
  wait "$pid" 2>/dev/null
  return 0
}

forget_pid() {
  local kept=() pid
  for pid in "${STARTED[@]}"; do
    [ "$pid" = "$1" ] || kept+=("$pid")
  done
  STARTED=("${kept[@]}")
}

cleanup() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED[$i]}"
  done
  STARTED=()
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # port, seconds
  local i
  for i in $(seq 1 $(($2 * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

tree_pids() {
  echo "$1"
  descendants "$1"
}

pin_tree() {  # cpu list, pid
  local pid
  for pid in $(tree_pids "$2"); do
    taskset -a -p -c "$1" "$pid" >/dev/null 2>&1
  done
}

cpu_ticks() {  # prints "user system" clock ticks summed over a process tree
  local user=0 system=0 pid fields
  for pid in $(tree_pids "$1"); do
    # Fields 14 and 15 of /proc/<pid>/stat. The command name before them may contain spaces.
    fields=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12, $13}') || continue
    [ -n "$fields" ] || continue
    user=$((user + ${fields% *}))
    system=$((system + ${fields#* }))
  done
  echo "$user $system"
}

rss_kb() {
  local total=0 pid value
  for pid in $(tree_pids "$1"); do
    value=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

core_ticks() {  # prints "busy total" for one CPU from /proc/stat
  awk -v cpu="cpu$1" '$1 == cpu {
    total = 0; for (i = 2; i <= NF; i++) total += $i
    print total - $5 - $6, total }' /proc/stat
}

# ------------------------------------------------------------------------------------------
# Tools and build.

install_tools() {
  local -A package_of=([haproxy]=haproxy [nginx]=nginx [wrk]=wrk [h2load]=nghttp2-client
    [openssl]=openssl [curl]=curl [taskset]=util-linux)
  if has_mode profile; then
    package_of[valgrind]=valgrind
    package_of[strace]=strace
  fi
  local missing=() tool
  for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
  done
  [ -x "$PYTHON" ] || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$SKIP_INSTALL" = 1 ] && die "missing packages: ${missing[*]} (SKIP_INSTALL=1)"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing ${missing[*]}"
    # Debian's nginx and haproxy packages enable their own system services. This script
    # never uses them: it runs private instances on free loopback ports.
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q ||
      die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
      "${missing[@]}" || die "apt-get install ${missing[*]} failed"
  fi
  if [ "$SKIP_INSTALL" != 1 ]; then
    "$REPO/scripts/install-deps.sh" || die "scripts/install-deps.sh failed"
  fi
}

build() {
  log "building Portcullis (Release) in $BUILD_DIR"
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPORTCULLIS_BUILD_TESTS=OFF -DPORTCULLIS_BUILD_BENCH=ON >"$RUN_DIR/cmake.log" 2>&1 ||
    die "cmake configure failed, see $RUN_DIR/cmake.log"
  local targets=(portcullis)
  has_mode micro && targets+=(portcullis_micro_bench)
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS" >>"$RUN_DIR/cmake.log" 2>&1 ||
    die "build failed, see $RUN_DIR/cmake.log"
}

# ------------------------------------------------------------------------------------------
# Keys and tokens, kept in $KEYS across runs while the valid tokens have a day to live.

mint() {  # alg, key file, extra mint options...
  local alg=$1 key=$2
  shift 2
  "$PORTCULLIS" token mint --key "$key" --alg "$alg" --issuer "$ISSUER" --audience "$AUDIENCE" \
    --claim groups=bench "$@"
}

make_tokens() {
  local needed=$ROTATE_TOKENS
  has_mode rotate-cold && [ "$COLD_TOKENS" -gt "$needed" ] && needed=$COLD_TOKENS
  local stamp="tokens=$needed forged=$FORGED_TOKENS issuer=$ISSUER"
  if [ -s "$KEYS/stamp" ] && [ "$(cat "$KEYS/stamp")" = "$stamp" ] &&
    [ "$("$PYTHON" "$BENCH_DIR/tokens.py" seconds-left "$KEYS/valid-RS256")" -gt 7200 ]; then
    log "reusing keys and tokens in $KEYS"
    return 0
  fi
  rm -rf "$KEYS"
  mkdir -p "$KEYS"
  local alg lower
  for alg in RS256 ES256; do
    lower=${alg,,}
    log "minting $needed $alg tokens and the forged ones"
    "$PORTCULLIS" token keygen --alg "$alg" --kid "$lower-1" --key-out "$KEYS/$alg.key" \
      --jwks-out "$KEYS/$alg.jwks.json" >/dev/null || die "keygen $alg failed"
    openssl pkey -in "$KEYS/$alg.key" -pubout -out "$KEYS/$alg.pub.pem" 2>/dev/null ||
      die "openssl could not derive the $alg public key"
    "$PORTCULLIS" token keygen --alg "$alg" --kid "$lower-unknown" \
      --key-out "$KEYS/$alg.other.key" --jwks-out "$KEYS/$alg.other.jwks.json" >/dev/null ||
      die "keygen of the second $alg key failed"

    mint "$alg" "$KEYS/$alg.key" --kid "$lower-1" --subject user-0 --lifetime 86400 \
      >"$KEYS/valid-$alg" || die "mint $alg failed"
    # Distinct subjects make distinct tokens. xargs runs two mint processes at a time.
    seq 1 "$needed" | xargs -P 2 -I{} "$PORTCULLIS" token mint --key "$KEYS/$alg.key" \
      --alg "$alg" --kid "$lower-1" --issuer "$ISSUER" --audience "$AUDIENCE" \
      --claim groups=bench --subject "user-{}" --lifetime 86400 >"$KEYS/pool-$alg" ||
      die "minting the $alg token pool failed"
    head -n "$ROTATE_TOKENS" "$KEYS/pool-$alg" >"$KEYS/rotate-$alg"
    head -n "$COLD_TOKENS" "$KEYS/pool-$alg" >"$KEYS/cold-$alg"

    # The forged kinds. Each is expanded into FORGED_TOKENS distinct tokens by altering the
    # signature, so a cache of outcomes cannot serve them. The kid, iss and exp faults are
    # found before the signature is checked.
    local valid
    valid=$(cat "$KEYS/valid-$alg")
    echo "$valid" >"$KEYS/forged-badsig-base-$alg"
    mint "$alg" "$KEYS/$alg.other.key" --kid "$lower-unknown" --subject user-0 \
      --lifetime 86400 >"$KEYS/forged-unknownkid-base-$alg"
    "$PORTCULLIS" token mint --key "$KEYS/$alg.key" --alg "$alg" --kid "$lower-1" \
      --issuer https://other-issuer.example --audience "$AUDIENCE" --subject user-0 \
      --lifetime 86400 >"$KEYS/forged-wrongiss-base-$alg"
    mint "$alg" "$KEYS/$alg.key" --kid "$lower-1" --subject user-0 --lifetime -3600 \
      >"$KEYS/forged-expired-base-$alg"
    local kind
    for kind in badsig unknownkid wrongiss expired; do
      "$PYTHON" "$BENCH_DIR/tokens.py" forge "$(cat "$KEYS/forged-$kind-base-$alg")" \
        "$FORGED_TOKENS" >"$KEYS/forged-$kind-$alg" || die "forging $kind $alg tokens failed"
    done
  done
  [ "$(wc -l <"$KEYS/pool-RS256")" -eq "$needed" ] || die "token pool incomplete"
  echo "$stamp" >"$KEYS/stamp"
}

# ------------------------------------------------------------------------------------------
# Configurations.

write_upstream_conf() {  # port
  local dir=$RUN_DIR/upstream
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$1 backlog=4096;
    location / {
      default_type text/plain;
      return 200 "upstream ok\n";
    }
  }
}
EOF
}

write_nginx_proxy_conf() {  # dir, port, workers
  local dir=$1
  cat >"$dir/nginx.conf" <<EOF
worker_processes $3;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  upstream backend {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 256;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$2 backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

write_haproxy_conf() {  # dir, port, threads, plain|RS256|ES256
  local dir=$1 alg=$4
  {
    cat <<EOF
global
  nbthread $3
  maxconn 16000
  # The file-descriptor limit may be lower than what maxconn implies. Idle client
  # connections need one descriptor each, so start anyway.
  no strict-limits
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
frontend gateway
  bind 127.0.0.1:$2
EOF
    if [ "$alg" != plain ]; then
      # Cheap checks first (header alg, issuer, expiry) and the signature last. Any failure
      # gets 401.
      cat <<EOF
  http-request set-var(txn.token) http_auth_bearer
  http-request set-var(txn.now) date
  acl token_alg var(txn.token),jwt_header_query('\$.alg') -m str $alg
  acl token_iss var(txn.token),jwt_payload_query('\$.iss') -m str $ISSUER
  acl token_live var(txn.token),jwt_payload_query('\$.exp','int'),sub(txn.now) -m int gt 0
  acl token_signed var(txn.token),jwt_verify("$alg","$KEYS/$alg.pub.pem") -m int 1
  http-request deny deny_status 401 unless token_alg token_iss token_live token_signed
EOF
    fi
    cat <<EOF
  default_backend upstream
backend upstream
  http-reuse always
  server upstream 127.0.0.1:$UPSTREAM_PORT
EOF
  } >"$dir/haproxy.cfg"
}

write_portcullis_conf() {  # dir, plain|RS256|ES256
  local dir=$1 alg=$2
  cat >"$dir/gateway.yaml" <<EOF
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench, namespace: bench}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: upstream, namespace: bench}
spec:
  hosts: ["*"]
  gateways: [bench]
  http:
  - route:
    - destination: {host: upstream.bench.svc.cluster.local, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: upstream, namespace: bench}
spec:
  hosts: [upstream.bench.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {http: $UPSTREAM_PORT}}]
EOF
  [ "$alg" = plain ] && return 0
  cat >"$dir/security.yaml" <<EOF
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: bench-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules:
  - issuer: $ISSUER
    jwks: '$(cat "$KEYS/$alg.jwks.json")'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: ALLOW
  rules:
  - from:
    - source: {requestPrincipals: ["*"]}
EOF
}

# ------------------------------------------------------------------------------------------
# Upstream and targets.

UPSTREAM_PID=""
UPSTREAM_PORT=""

start_upstream() {
  UPSTREAM_PORT=$(free_port)
  write_upstream_conf "$UPSTREAM_PORT"
  mkdir -p "$RUN_DIR/upstream/tmp"
  taskset -c "$LOADGEN_CPU" nginx -p "$RUN_DIR/upstream" -e "$RUN_DIR/upstream/error.log" \
    -c "$RUN_DIR/upstream/nginx.conf" -g 'daemon off;' >"$RUN_DIR/upstream/out.log" 2>&1 &
  UPSTREAM_PID=$!
  STARTED+=("$UPSTREAM_PID")
  wait_port "$UPSTREAM_PORT" 10 || die "the upstream nginx did not start (see $RUN_DIR/upstream)"
  log "upstream: nginx pid $UPSTREAM_PID on 127.0.0.1:$UPSTREAM_PORT"
}

TARGET_PID=""
TARGET_PORT=""
ADMIN_PORT=""

alg_of() {
  case $1 in
    *-rs256) echo RS256 ;;
    *-es256) echo ES256 ;;
    *) echo plain ;;
  esac
}

start_target() {  # target, workers, pinned (1 or 0)
  local target=$1 workers=$2 pinned=$3 alg dir prefix=()
  alg=$(alg_of "$target")
  dir=$RUN_DIR/targets/$target-$workers
  mkdir -p "$dir/tmp"
  [ "$pinned" = 1 ] && prefix=(taskset -c "$PROXY_CPU")
  TARGET_PORT=$(free_port)
  ADMIN_PORT=""
  case $target in
    nginx-plain)
      write_nginx_proxy_conf "$dir" "$TARGET_PORT" "$workers"
      "${prefix[@]}" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
        -g 'daemon off;' >"$dir/out.log" 2>&1 &
      ;;
    haproxy-*)
      write_haproxy_conf "$dir" "$TARGET_PORT" "$workers" "$alg"
      haproxy -c -q -f "$dir/haproxy.cfg" >"$dir/check.log" 2>&1 ||
        die "HAProxy rejects $dir/haproxy.cfg: $(cat "$dir/check.log")"
      "${prefix[@]}" haproxy -db -f "$dir/haproxy.cfg" >"$dir/out.log" 2>&1 &
      ;;
    portcullis-*)
      ADMIN_PORT=$(free_port)
      write_portcullis_conf "$dir" "$alg"
      "${prefix[@]}" "$PORTCULLIS" serve --config "$dir/gateway.yaml" \
        $([ "$alg" = plain ] || echo --config "$dir/security.yaml") \
        --bind 127.0.0.1 --port-map "80=$TARGET_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
        --workers "$workers" --log-level warn >"$dir/out.log" 2>&1 &
      ;;
    *) die "unknown target $target" ;;
  esac
  TARGET_PID=$!
  STARTED+=("$TARGET_PID")
  if ! wait_port "$TARGET_PORT" 15; then
    log "$target did not open port $TARGET_PORT; its log:"
    tail -n 20 "$dir/out.log" >&2
    stop_target
    return 1
  fi
  if [ -n "$ADMIN_PORT" ]; then
    local i
    for i in $(seq 1 50); do
      [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/ready")" = 200 ] && break
      sleep 0.1
    done
  fi
  sleep 0.3  # nginx forks its worker after the port opens
  return 0
}

stop_target() {
  stop_pid "$TARGET_PID"
  forget_pid "$TARGET_PID"
  TARGET_PID=""
}

portcullis_counter() {  # counter name without prefix and suffix. Prints nothing without an admin port
  [ -n "$ADMIN_PORT" ] || return 0
  curl -s -m 2 "http://127.0.0.1:$ADMIN_PORT/stats/prometheus" |
    awk -v name="portcullis_$1_total" '$1 == name {print $2}'
}

status_of() {  # port, token (may be empty): prints the HTTP status
  local headers=()
  [ -n "$2" ] && headers=(-H "Authorization: Bearer $2")
  curl -s -m 5 -o /dev/null -w '%{http_code}' "${headers[@]}" "http://127.0.0.1:$1/"
}

# ------------------------------------------------------------------------------------------
# Load runs. Each prints a "LOAD_SUMMARY k=v ..." line.

wrk_run() {  # seconds, cpu list (empty: unpinned), token file (may be empty), extra args...
  local seconds=$1 cpus=$2 token_file=$3 prefix=()
  shift 3
  [ -n "$cpus" ] && prefix=(taskset -c "$cpus")
  BENCH_TOKEN_FILE=$token_file BENCH_THREADS=$THREADS timeout "$((seconds + 30))" \
    "${prefix[@]}" wrk -t "$THREADS" -c "$CONNS" -d "${seconds}s" --timeout 5s \
    -s "$BENCH_DIR/wrk.lua" "$@" "http://127.0.0.1:$TARGET_PORT/"
}

h2load_run() {  # cpu list, log file, extra args...
  local cpus=$1 request_log=$2 prefix=()
  shift 2
  [ -n "$cpus" ] && prefix=(taskset -c "$cpus")
  local per_connection=$(((RATE + RATE_CONNS - 1) / RATE_CONNS))
  rm -f "$request_log"
  timeout "$LOAD_TIMEOUT" "${prefix[@]}" h2load --h1 -t 1 -c "$RATE_CONNS" \
    --rps "$per_connection" -D "$DURATION" --log-file "$request_log" "$@" \
    "http://127.0.0.1:$TARGET_PORT/" >"$request_log.out" 2>&1
  "$PYTHON" "$BENCH_DIR/report.py" h2load "$request_log"
}

field() {  # summary line, key
  echo "$1" | tr ' ' '\n' | awk -F= -v key="$2" '$1 == key {print $2}'
}

# One measured row. Arguments: mode, target, variant, workers, pinned, expected (ok|all401),
# token file or "" (one token in $TOKEN), load kind (wrk|rate), extra wrk/h2load args...
measure_row() {
  local mode=$1 target=$2 variant=$3 workers=$4 pinned=$5 expected=$6 token_file=$7 kind=$8
  shift 8
  local attempt line best_line="" best_other=""
  for attempt in 1 2; do
    start_target "$target" "$workers" "$pinned" || {
      printf '%s\t%s\t%s\t%s\tFAILED TO START\n' "$mode" "$target" "$variant" "$workers" >>"$ROWS_TSV"
      return 0
    }
    local cpus="" upstream_cpus
    if [ "$pinned" = 1 ]; then
      cpus=$LOADGEN_CPU
      upstream_cpus=$LOADGEN_CPU
    else
      upstream_cpus=0-$(($(nproc) - 1))
    fi
    pin_tree "$upstream_cpus" "$UPSTREAM_PID"

    # Probe: the exact status of one request like those of the run.
    local probe_token=$TOKEN probe expected_status=200
    [ -n "$token_file" ] && probe_token=$(head -n 1 "$token_file")
    [ "$expected" = all401 ] && expected_status=401
    probe=$(status_of "$TARGET_PORT" "$probe_token")

    wrk_run 1 "$cpus" "$token_file" "$@" >/dev/null 2>&1  # warm-up, not measured

    local ticks_before ticks_after core_before core_after hits_before misses_before
    local started ended summary
    hits_before=$(portcullis_counter token_cache_hits)
    misses_before=$(portcullis_counter token_cache_misses)
    ticks_before=$(cpu_ticks "$TARGET_PID")
    core_before=$([ "$pinned" = 1 ] && core_ticks "$PROXY_CPU")
    started=$(date +%s%N)
    if [ "$kind" = rate ]; then
      summary=$(h2load_run "$cpus" "$RUN_DIR/logs/h2load-$mode-$target.log" "$@")
    else
      summary=$(wrk_run "$DURATION" "$cpus" "$token_file" "$@" 2>&1 |
        tee "$RUN_DIR/logs/wrk-$mode-$target-${variant// /-}-$workers.log" |
        grep '^LOAD_SUMMARY')
    fi
    ended=$(date +%s%N)
    ticks_after=$(cpu_ticks "$TARGET_PID")
    core_after=$([ "$pinned" = 1 ] && core_ticks "$PROXY_CPU")
    local hits misses rss
    hits=$(portcullis_counter token_cache_hits)
    misses=$(portcullis_counter token_cache_misses)
    rss=$(rss_kb "$TARGET_PID")
    stop_target

    if [ -z "$summary" ]; then
      log "$mode $target $variant: no result (logs in $RUN_DIR/logs)"
      printf '%s\t%s\t%s\t%s\tNO RESULT\n' "$mode" "$target" "$variant" "$workers" >>"$ROWS_TSV"
      return 0
    fi
    line=$("$PYTHON" "$BENCH_DIR/report.py" row \
      --mode "$mode" --target "$target" --variant "$variant" --workers "$workers" \
      --summary "$summary" --ticks-before "$ticks_before" --ticks-after "$ticks_after" \
      --core-before "$core_before" --core-after "$core_after" --clk-tck "$CLK_TCK" \
      --wall-ns "$((ended - started))" --rss-kb "$rss" --expected "$expected" \
      --probe "$probe" --expected-status "$expected_status" \
      --cache "${hits_before:-}:${misses_before:-}:${hits:-}:${misses:-}" --attempt "$attempt")
    # Keep the attempt that other programs disturbed least.
    local other
    other=$(echo "$line" | cut -f16)
    if [ -z "$best_line" ] || [ "${other%.*}" -lt "${best_other%.*}" ]; then
      best_line=$line
      best_other=$other
    fi
    if [ "$pinned" != 1 ] || [ "${other%.*}" -le "$MAX_OTHER_LOAD" ] || [ "$attempt" = 2 ]; then
      break
    fi
    log "$mode $target $variant: other programs used ${other}% of core $PROXY_CPU; running it again"
    sleep 2
  done
  echo "$best_line" >>"$ROWS_TSV"
  log "$mode $target $variant (${workers}w): $(echo "$best_line" | cut -f6) req/s," \
    "p99 $(echo "$best_line" | cut -f9) us, $(echo "$best_line" | cut -f10) us CPU/req," \
    "check $(echo "$best_line" | cut -f15)"
  sleep 1
}

is_jwt_target() { [ "$(alg_of "$1")" != plain ]; }

token_for() { cat "$KEYS/valid-$([ "$(alg_of "$1")" = ES256 ] && echo ES256 || echo RS256)"; }

run_mode() {
  local mode=$1 target alg kind
  for target in $TARGETS; do
    alg=$(alg_of "$target")
    [ "$alg" = plain ] && alg=RS256
    TOKEN=$(token_for "$target")
    case $mode in
      keepalive)
        measure_row keepalive "$target" "one token" 1 1 ok "" wrk \
          -H "Authorization: Bearer $TOKEN"
        ;;
      close)
        measure_row close "$target" "one token" 1 1 ok "" wrk \
          -H "Authorization: Bearer $TOKEN" -H "Connection: close"
        ;;
      rotate)
        is_jwt_target "$target" || continue
        measure_row rotate "$target" "$ROTATE_TOKENS tokens" 1 1 ok "$KEYS/rotate-$alg" wrk
        ;;
      rotate-cold)
        is_jwt_target "$target" || continue
        measure_row rotate-cold "$target" "$COLD_TOKENS tokens" 1 1 ok "$KEYS/cold-$alg" wrk
        ;;
      forged)
        is_jwt_target "$target" || continue
        local kinds=(badsig)
        [[ $target == portcullis-* ]] && kinds=(badsig unknownkid wrongiss expired)
        for kind in "${kinds[@]}"; do
          measure_row forged "$target" "$kind" 1 1 all401 "$KEYS/forged-$kind-$alg" wrk
        done
        ;;
      rate)
        measure_row rate "$target" "$RATE req/s" 1 1 ok "" rate \
          -H "Authorization: Bearer $TOKEN"
        ;;
      scale)
        measure_row scale "$target" "one token" 1 0 ok "" wrk -H "Authorization: Bearer $TOKEN"
        measure_row scale "$target" "one token" 2 0 ok "" wrk -H "Authorization: Bearer $TOKEN"
        ;;
    esac
  done
}

# ------------------------------------------------------------------------------------------
# Idle memory: RSS after start-up, then with IDLE_CONNS idle keep-alive connections.

run_idle() {
  local target
  printf 'target\tidle_rss_kb\tconns_rss_kb\topened\tok\tfailed\tstill_open\n' >"$IDLE_TSV"
  for target in $TARGETS; do
    start_target "$target" 1 1 || continue
    pin_tree "$LOADGEN_CPU" "$UPSTREAM_PID"
    sleep 1
    local idle_rss token status_file="$RUN_DIR/logs/idle-$target.status"
    idle_rss=$(rss_kb "$TARGET_PID")
    token=""
    is_jwt_target "$target" && token=$(token_for "$target")
    rm -f "$status_file"
    timeout 300 taskset -c "$LOADGEN_CPU" "$PYTHON" "$BENCH_DIR/idle_clients.py" \
      --port "$TARGET_PORT" --count "$IDLE_CONNS" --token "$token" \
      --status-file "$status_file" --settle 3 --hold 200 >"$RUN_DIR/logs/idle-$target.log" 2>&1 &
    local client_pid=$!
    STARTED+=("$client_pid")
    local i
    for i in $(seq 1 1200); do
      grep -q still_open "$status_file" 2>/dev/null && break
      kill -0 "$client_pid" 2>/dev/null || break
      sleep 0.25
    done
    local conns_rss
    conns_rss=$(rss_kb "$TARGET_PID")
    stop_pid "$client_pid"
    forget_pid "$client_pid"
    stop_target
    local opened ok failed still_open
    opened=$(grep -o 'opened=[0-9]*' "$status_file" 2>/dev/null | cut -d= -f2)
    ok=$(grep -o ' ok=[0-9]*' "$status_file" 2>/dev/null | cut -d= -f2)
    failed=$(grep -o 'failed=[0-9]*' "$status_file" 2>/dev/null | cut -d= -f2)
    still_open=$(grep -o 'still_open=[0-9]*' "$status_file" 2>/dev/null | cut -d= -f2)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$idle_rss" "$conns_rss" "${opened:-0}" \
      "${ok:-0}" "${failed:-0}" "${still_open:-0}" >>"$IDLE_TSV"
    log "idle $target: ${idle_rss} kB idle, ${conns_rss} kB with ${still_open:-0} of $IDLE_CONNS connections open"
    sleep 1
  done
}

# ------------------------------------------------------------------------------------------
# Micro-benchmarks and OpenSSL's own figures for the same primitives.

run_micro() {
  log "micro-benchmarks on core $PROXY_CPU"
  timeout 900 taskset -c "$PROXY_CPU" "$MICRO_BIN" --benchmark_min_time="$MICRO_MIN_TIME" \
    --benchmark_out="$RUN_DIR/micro.json" --benchmark_out_format=json \
    >"$RUN_DIR/logs/micro.txt" 2>&1 || log "the micro-benchmarks failed (see $RUN_DIR/logs/micro.txt)"
  log "openssl speed on core $PROXY_CPU"
  timeout 300 taskset -c "$PROXY_CPU" openssl speed -seconds 3 rsa2048 ecdsap256 ed25519 \
    >"$RUN_DIR/openssl-speed.txt" 2>"$RUN_DIR/logs/openssl-speed.err" ||
    log "openssl speed failed"
}

# ------------------------------------------------------------------------------------------
# Profile: where Portcullis spends its instructions with a cached RS256 token, and how many
# system calls each plain proxy makes per request.

run_profile() {
  local profile=$RUN_DIR/profile
  mkdir -p "$profile"
  local target
  if [[ " $TARGETS " == *" portcullis-rs256 "* ]] && command -v valgrind >/dev/null; then
    log "callgrind: portcullis-rs256, keep-alive, one token"
    local dir=$RUN_DIR/targets/profile
    mkdir -p "$dir"
    TARGET_PORT=$(free_port)
    ADMIN_PORT=$(free_port)
    write_portcullis_conf "$dir" RS256
    timeout 300 taskset -c "$PROXY_CPU" valgrind --tool=callgrind \
      --callgrind-out-file="$profile/callgrind.out" --dump-instr=no \
      "$PORTCULLIS" serve --config "$dir/gateway.yaml" --config "$dir/security.yaml" \
      --bind 127.0.0.1 --port-map "80=$TARGET_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
      --workers 1 --log-level warn >"$profile/valgrind.log" 2>&1 &
    TARGET_PID=$!
    STARTED+=("$TARGET_PID")
    if wait_port "$TARGET_PORT" 120; then
      # Count only the requests: zero the counters after start-up and a warm-up, dump after
      # the load. valgrind runs as the child of `timeout`.
      local program_pid
      program_pid=$(pgrep -P "$TARGET_PID" | head -n 1)
      TOKEN=$(token_for portcullis-rs256)
      CONNS=8 wrk_run 2 "$LOADGEN_CPU" "" -H "Authorization: Bearer $TOKEN" >/dev/null 2>&1
      timeout 30 callgrind_control --zero "$program_pid" >/dev/null 2>&1
      CONNS=8 wrk_run 15 "$LOADGEN_CPU" "" -H "Authorization: Bearer $TOKEN" \
        >"$profile/wrk.log" 2>&1
      timeout 60 callgrind_control --dump=load "$program_pid" >/dev/null 2>&1
      grep '^LOAD_SUMMARY' "$profile/wrk.log" >"$profile/requests.txt"
    fi
    stop_target
    local dump
    dump=$(ls "$profile"/callgrind.out.*1 2>/dev/null | head -n 1)
    if [ -n "$dump" ] && [ -s "$dump" ]; then
      callgrind_annotate --inclusive=no --threshold=100 "$dump" >"$profile/self.txt" 2>/dev/null
      callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | head -n 120 >"$profile/inclusive.txt"
    fi
  fi
  if command -v strace >/dev/null; then
    : >"$profile/syscalls.tsv"
    for target in $TARGETS; do
      is_jwt_target "$target" && continue
      start_target "$target" 1 1 || continue
      local traced=$TARGET_PID
      # nginx serves from its worker, the master's child.
      [ "$target" = nginx-plain ] && traced=$(pgrep -P "$TARGET_PID" | head -n 1)
      TOKEN=$(token_for "$target")
      timeout 30 strace -c -f -p "$traced" -o "$profile/strace-$target.txt" &
      local strace_pid=$!
      STARTED+=("$strace_pid")
      sleep 1
      local summary
      summary=$(CONNS=16 wrk_run 5 "$LOADGEN_CPU" "" -H "Authorization: Bearer $TOKEN" 2>&1 |
        grep '^LOAD_SUMMARY')
      kill -INT "$strace_pid" 2>/dev/null
      wait "$strace_pid" 2>/dev/null
      forget_pid "$strace_pid"
      stop_target
      printf '%s\t%s\n' "$target" "$(field "$summary" requests)" >>"$profile/syscalls.tsv"
      sleep 1
    done
  fi
}

# ------------------------------------------------------------------------------------------

# Waits up to WAIT_FOR_QUIET seconds for a minute in which the 1-minute load average stays
# below QUIET_LOAD, and records the outcome in the page.
wait_for_quiet() {
  [ "$WAIT_FOR_QUIET" -gt 0 ] || return 0
  local deadline=$((SECONDS + WAIT_FOR_QUIET)) quiet_checks=0 load
  log "waiting up to ${WAIT_FOR_QUIET}s for a 1-minute load average below $QUIET_LOAD"
  while [ "$SECONDS" -lt "$deadline" ]; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v load="$load" -v limit="$QUIET_LOAD" 'BEGIN {exit !(load < limit)}'; then
      quiet_checks=$((quiet_checks + 1))
      if [ "$quiet_checks" -ge 6 ]; then
        echo "quiet=the 1-minute load average stayed below $QUIET_LOAD for a minute before the load runs" >>"$META"
        return 0
      fi
    else
      quiet_checks=0
    fi
    sleep 10
  done
  echo "quiet=the machine did not get quiet: the 1-minute load average was still $load after ${WAIT_FOR_QUIET}s of waiting" >>"$META"
  log "the machine did not get quiet; running anyway"
}

describe_machine() {
  {
    echo "tag=$TAG"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu=$(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
    echo "cores=$(nproc)"
    echo "memory=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "debian=$(cat /etc/debian_version 2>/dev/null)"
    echo "compiler=$(sed -n 's/^set(CMAKE_CXX_COMPILER_\(ID\|VERSION\) "\(.*\)")/\2/p' \
      "$BUILD_DIR"/CMakeFiles/*/CMakeCXXCompiler.cmake 2>/dev/null | head -n 2 | paste -sd' ')"
    echo "portcullis=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' (with uncommitted changes under src/)')"
    echo "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')"
    echo "haproxy=$(haproxy -v | head -n 1 | awk '{print $3}')"
    echo "openssl=$(openssl version | awk '{print $2}')"
    echo "wrk=$(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
    echo "h2load=$(h2load --version 2>&1 | head -n 1 | awk '{print $2}')"
    echo "fd_limit=$(ulimit -n)"
    echo "settings=DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS RATE=$RATE RATE_CONNS=$RATE_CONNS ROTATE_TOKENS=$ROTATE_TOKENS COLD_TOKENS=$COLD_TOKENS FORGED_TOKENS=$FORGED_TOKENS IDLE_CONNS=$IDLE_CONNS LOADGEN_CPU=$LOADGEN_CPU PROXY_CPU=$PROXY_CPU"
    echo "modes=$MODES"
    echo "targets=$TARGETS"
  } >"$META"
}

main() {
  mkdir -p "$RUN_DIR/logs" "$RESULTS_DIR"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null
  install_tools
  build
  describe_machine
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
  printf 'mode\ttarget\tvariant\tworkers\trequests\trps\tp50_us\tp90_us\tp99_us\tcpu_us_per_req\tsys_pct\trss_kb\tstatus_errors\tsocket_errors\tcheck\tother_load_pct\tcache_hit_pct\tattempts\n' >"$ROWS_TSV"

  local load_modes=() mode
  for mode in $MODES; do
    case $mode in
      keepalive | rotate | rotate-cold | close | forged | rate | scale | idle | profile)
        load_modes+=("$mode")
        ;;
      micro) ;;
      *) die "unknown mode $mode" ;;
    esac
  done
  if [ ${#load_modes[@]} -gt 0 ]; then
    make_tokens
    wait_for_quiet
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
    start_upstream
    for mode in "${load_modes[@]}"; do
      case $mode in
        idle) run_idle ;;
        profile) run_profile ;;
        *) run_mode "$mode" ;;
      esac
    done
  fi
  has_mode micro && run_micro
  echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"

  "$PYTHON" "$BENCH_DIR/report.py" markdown --run-dir "$RUN_DIR" \
    --out "$RESULTS_DIR/$TAG.md" || die "the report could not be written"
  cp "$ROWS_TSV" "$RESULTS_DIR/$TAG.tsv"
  cat "$RESULTS_DIR/$TAG.md"
  log "written: bench/results/$TAG.md (raw data in $RUN_DIR)"
}

main "$@"
