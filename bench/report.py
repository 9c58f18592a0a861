#!/usr/bin/python3
"""Numbers and Markdown for bench/run.sh.

  report.py h2load LOG          summarizes an h2load --log-file as a LOAD_SUMMARY line
  report.py row OPTIONS         turns one load run's raw figures into a rows.tsv line
  report.py markdown --run-dir DIR --out FILE
                                writes the result page of a run
"""

import argparse
import json
import math
import os
import re
import sys

ROW_COLUMNS = [
    "mode", "target", "variant", "workers", "requests", "rps", "p50_us", "p90_us", "p99_us",
    "cpu_us_per_req", "sys_pct", "rss_kb", "status_errors", "socket_errors", "check",
    "other_load_pct", "cache_hit_pct", "attempts",
]

PEERS = ["nginx-plain", "haproxy-plain", "haproxy-rs256", "haproxy-es256"]


# ------------------------------------------------------------------------------------------
# h2load and single rows


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summarize_h2load(path):
    """Reads h2load's log: one line per request with the start (µs since the epoch), the status
    and the latency (µs)."""
    latencies = []
    starts = []
    ends = []
    status_errors = 0
    failed = 0
    try:
        with open(path) as log:
            for line in log:
                fields = line.split("\t")
                if len(fields) < 3:
                    continue
                start, status, latency = int(fields[0]), int(fields[1]), int(fields[2])
                if status < 0:
                    failed += 1
                    continue
                if status >= 400:
                    status_errors += 1
                latencies.append(latency)
                starts.append(start)
                ends.append(start + latency)
    except OSError:
        return
    if not latencies:
        return
    latencies.sort()
    duration = max(ends) - min(starts)
    print(f"LOAD_SUMMARY requests={len(latencies)} duration_us={duration} "
          f"p50_us={percentile(latencies, 0.50)} p90_us={percentile(latencies, 0.90)} "
          f"p99_us={percentile(latencies, 0.99)} max_us={latencies[-1]} "
          f"status_errors={status_errors} connect_errors=0 read_errors=0 write_errors=0 "
          f"timeouts={failed}")


def parse_summary(line):
    values = {}
    for item in line.split()[1:]:
        key, _, value = item.partition("=")
        values[key] = int(value)
    return values


def make_row(args):
    summary = parse_summary(args.summary)
    requests = summary.get("requests", 0)
    seconds = summary.get("duration_us", 0) / 1e6
    rps = requests / seconds if seconds else 0.0

    user_before, sys_before = (int(x) for x in args.ticks_before.split())
    user_after, sys_after = (int(x) for x in args.ticks_after.split())
    user = (user_after - user_before) / args.clk_tck
    system = (sys_after - sys_before) / args.clk_tck
    cpu = user + system
    cpu_us_per_request = cpu * 1e6 / requests if requests else 0.0
    sys_pct = 100.0 * system / cpu if cpu else 0.0

    # CPU time on the proxy's core that the proxy did not use went to other programs.
    other_load = 0.0
    if args.core_before and args.core_after:
        busy_before, total_before = (int(x) for x in args.core_before.split())
        busy_after, total_after = (int(x) for x in args.core_after.split())
        wall = args.wall_ns / 1e9
        if total_after > total_before and wall > 0:
            core_busy = 100.0 * (busy_after - busy_before) / (total_after - total_before)
            other_load = max(0.0, core_busy - 100.0 * cpu / wall)

    status_errors = summary.get("status_errors", 0)
    socket_errors = sum(summary.get(key, 0) for key in
                        ("connect_errors", "read_errors", "write_errors", "timeouts"))
    problems = []
    if str(args.probe) != str(args.expected_status):
        problems.append(f"probe got {args.probe}, expected {args.expected_status}")
    if args.expected == "all401":
        if status_errors != requests:
            problems.append(f"{requests - status_errors} of {requests} not rejected")
    elif status_errors:
        problems.append(f"{status_errors} responses >= 400")
    if socket_errors:
        problems.append(f"{socket_errors} socket errors")
    check = "FAIL: " + "; ".join(problems) if problems else (
        "all 401" if args.expected == "all401" else "ok")

    cache_hit = ""
    parts = args.cache.split(":")
    if len(parts) == 4 and all(parts):
        hits = int(parts[2]) - int(parts[0])
        misses = int(parts[3]) - int(parts[1])
        if hits + misses:
            cache_hit = f"{100.0 * hits / (hits + misses):.1f}"

    values = [
        args.mode, args.target, args.variant, args.workers, requests, f"{rps:.0f}",
        summary.get("p50_us", 0), summary.get("p90_us", 0), summary.get("p99_us", 0),
        f"{cpu_us_per_request:.2f}", f"{sys_pct:.0f}", args.rss_kb, status_errors,
        socket_errors, check, f"{other_load:.1f}", cache_hit, args.attempt,
    ]
    print("\t".join(str(v) for v in values))


# ------------------------------------------------------------------------------------------
# Reading a run


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as table:
        lines = [line.rstrip("\n").split("\t") for line in table if line.strip()]
    if not lines:
        return []
    header = lines[0]
    rows = []
    for fields in lines[1:]:
        row = dict(zip(header, fields))
        if len(fields) < len(header):
            row["failed"] = fields[-1]
        rows.append(row)
    return rows


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as lines:
            for line in lines:
                key, _, value = line.rstrip("\n").partition("=")
                meta[key] = value
    return meta


def number(row, key):
    try:
        return float(row.get(key, ""))
    except ValueError:
        return None


def find(rows, mode, target, variant=None, workers="1"):
    for row in rows:
        if (row["mode"] == mode and row["target"] == target and row.get("workers") == workers
                and (variant is None or row["variant"] == variant) and "failed" not in row):
            return row
    return None


def ms(us):
    return "–" if us is None else f"{us / 1000:.2f}"


def ratio(value, reference):
    if value is None or not reference:
        return None
    return value / reference


def format_ratio(value, name):
    return "–" if value is None else f"{value:.2f}x {name}"


def same_alg_peer(target):
    if target.endswith("-rs256"):
        return "haproxy-rs256"
    if target.endswith("-es256"):
        return "haproxy-es256"
    return "haproxy-plain"


def peer_label(target):
    return {"nginx-plain": "nginx plain", "haproxy-plain": "HAProxy plain",
            "haproxy-rs256": "HAProxy RS256", "haproxy-es256": "HAProxy ES256"}.get(target, target)


FORGED_NAMES = {"badsig": "bad signature", "unknownkid": "unknown kid",
                "wrongiss": "wrong issuer", "expired": "expired"}


# ------------------------------------------------------------------------------------------
# Tables


def throughput_table(rows, mode, title, out):
    mode_rows = [r for r in rows if r["mode"] == mode and r.get("workers") == "1"]
    if not mode_rows:
        return
    show_cache = any(r.get("cache_hit_pct") for r in mode_rows)
    out.append(f"### {title}\n")
    header = ["target", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "sys %", "RSS MB",
              "other load %", "check"]
    if show_cache:
        header.append("token cache hits %")
    header += ["vs nginx plain", "vs HAProxy plain", "vs HAProxy, same algorithm"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for row in mode_rows:
        if "failed" in row:
            out.append(f"| {row['target']} | {row['failed']} |" + " |" * (len(header) - 2))
            continue
        name = row["target"]
        if mode == "forged":
            name += ", " + FORGED_NAMES.get(row["variant"], row["variant"])
        rps = number(row, "rps")
        cells = [name, f"{rps:,.0f}", ms(number(row, "p50_us")), ms(number(row, "p99_us")),
                 f"{number(row, 'cpu_us_per_req'):.1f}", row["sys_pct"],
                 f"{number(row, 'rss_kb') / 1024:.1f}", row["other_load_pct"], row["check"]]
        if show_cache:
            cells.append(row.get("cache_hit_pct") or "–")
        if row["target"].startswith("portcullis-"):
            peer_variant = "badsig" if mode == "forged" else None
            for peer in ("nginx-plain", "haproxy-plain", same_alg_peer(row["target"])):
                reference = find(rows, mode, peer, peer_variant)
                value = ratio(rps, number(reference, "rps")) if reference else None
                cells.append(format_ratio(value, peer_label(peer)))
        else:
            cells += ["", "", ""]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")


def rate_table(rows, out):
    mode_rows = [r for r in rows if r["mode"] == "rate" and "failed" not in r]
    if not mode_rows:
        return
    out.append(f"### Fixed rate: {mode_rows[0]['variant']} (h2load --h1), pinned\n")
    header = ["target", "req/s", "p50 ms", "p90 ms", "p99 ms", "CPU µs/req", "other load %",
              "check", "p50 vs HAProxy same algorithm", "p99 vs HAProxy same algorithm"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for row in mode_rows:
        cells = [row["target"], f"{number(row, 'rps'):,.0f}", ms(number(row, "p50_us")),
                 ms(number(row, "p90_us")), ms(number(row, "p99_us")),
                 f"{number(row, 'cpu_us_per_req'):.1f}", row["other_load_pct"], row["check"]]
        if row["target"].startswith("portcullis-"):
            reference = find(rows, "rate", same_alg_peer(row["target"]))
            for key in ("p50_us", "p99_us"):
                value = ratio(number(row, key), number(reference, key)) if reference else None
                cells.append(format_ratio(value, peer_label(same_alg_peer(row["target"]))))
        else:
            cells += ["", ""]
        out.append("| " + " | ".join(cells) + " |")
    out.append("\nA ratio below 1 means lower latency than the peer.\n")


def scale_table(rows, out):
    targets = []
    for row in rows:
        if row["mode"] == "scale" and row["target"] not in targets:
            targets.append(row["target"])
    if not targets:
        return
    out.append("### Scaling, unpinned: 1 worker against 2 (keep-alive, one token)\n")
    out.append("| target | 1 worker req/s | 2 workers req/s | 2 workers / 1 | CPU µs/req, 1 worker"
               " | CPU µs/req, 2 workers | check |")
    out.append("|---|---|---|---|---|---|---|")
    for target in targets:
        one = find(rows, "scale", target, workers="1")
        two = find(rows, "scale", target, workers="2")
        if not one or not two:
            continue
        scaling = ratio(number(two, "rps"), number(one, "rps"))
        out.append(f"| {target} | {number(one, 'rps'):,.0f} | {number(two, 'rps'):,.0f} | "
                   f"{scaling:.2f} | {number(one, 'cpu_us_per_req'):.1f} | "
                   f"{number(two, 'cpu_us_per_req'):.1f} | {one['check']} / {two['check']} |")
    out.append("")


def idle_table(idle_rows, meta, out):
    if not idle_rows:
        return
    count = re.search(r"IDLE_CONNS=(\d+)", meta.get("settings", ""))
    count = count.group(1) if count else "N"
    haproxy = next((r for r in idle_rows if r["target"] == "haproxy-plain"), None)
    out.append(f"### Memory: idle, and with {int(count):,} idle keep-alive connections\n")
    out.append("| target | idle RSS MB | RSS MB with the connections | kB per connection "
               "| connections still open | answered 200 | idle RSS vs HAProxy plain |")
    out.append("|---|---|---|---|---|---|---|")
    for row in idle_rows:
        idle = int(row["idle_rss_kb"])
        loaded = int(row["conns_rss_kb"])
        still_open = int(row["still_open"])
        per_connection = (loaded - idle) / still_open if still_open else 0
        versus = ratio(idle, int(haproxy["idle_rss_kb"])) if haproxy else None
        out.append(f"| {row['target']} | {idle / 1024:.1f} | {loaded / 1024:.1f} | "
                   f"{per_connection:.1f} | {still_open:,} | {int(row['ok']):,} | "
                   f"{format_ratio(versus, 'HAProxy plain')} |")
    out.append("")


# ------------------------------------------------------------------------------------------
# Goals


def goal_rows(rows, idle_rows, meta):
    goals = []

    def add(goal, measured, met):
        if met is None:
            verdict = "–"
        elif met:
            verdict = "yes"
        else:
            verdict = "**no**"
        goals.append((goal, measured, verdict))

    def compare(goal, mode, target, peer, threshold, variant=None, peer_variant=None):
        row = find(rows, mode, target, variant)
        reference = find(rows, mode, peer, peer_variant)
        if not row or not reference:
            add(goal, "not measured", None)
            return
        value = ratio(number(row, "rps"), number(reference, "rps"))
        add(goal, f"{value:.2f}x req/s; CPU per request {number(row, 'cpu_us_per_req'):.1f} "
                  f"against {number(reference, 'cpu_us_per_req'):.1f} µs", value >= threshold)

    compare("keep-alive, cached RS256 token >= 0.9x nginx plain", "keepalive",
            "portcullis-rs256", "nginx-plain", 0.9)
    compare("plain proxy >= 1.1x nginx plain", "keepalive", "portcullis-plain", "nginx-plain", 1.1)
    for alg in ("rs256", "es256"):
        compare(f"{alg.upper()}, rotating tokens >= 1.3x HAProxy", "rotate",
                f"portcullis-{alg}", f"haproxy-{alg}", 1.3)
        compare(f"{alg.upper()}, rotating tokens beyond the cache >= 1.3x HAProxy",
                "rotate-cold", f"portcullis-{alg}", f"haproxy-{alg}", 1.3)
    for alg in ("plain", "rs256", "es256"):
        compare(f"{alg if alg == 'plain' else alg.upper()}, new connection per request "
                f">= 1.3x HAProxy", "close", f"portcullis-{alg}", f"haproxy-{alg}", 1.3)
    for alg in ("rs256", "es256"):
        compare(f"{alg.upper()}, forged-token (bad signature) 401s >= 1.5x HAProxy", "forged",
                f"portcullis-{alg}", f"haproxy-{alg}", 1.5, "badsig", "badsig")
    for alg in ("plain", "rs256", "es256"):
        row = find(rows, "rate", f"portcullis-{alg}")
        reference = find(rows, "rate", f"haproxy-{alg}")
        goal = f"{alg if alg == 'plain' else alg.upper()}, p50/p99 at a fixed rate no worse " \
               f"than HAProxy"
        if not row or not reference:
            add(goal, "not measured", None)
            continue
        p50, p99 = number(row, "p50_us"), number(row, "p99_us")
        ref50, ref99 = number(reference, "p50_us"), number(reference, "p99_us")
        add(goal, f"p50 {ms(p50)} against {ms(ref50)} ms, p99 {ms(p99)} against {ms(ref99)} ms",
            p50 <= ref50 and p99 <= ref99)
    haproxy = next((r for r in idle_rows if r["target"] == "haproxy-plain"), None)
    for row in idle_rows:
        if not row["target"].startswith("portcullis-"):
            continue
        if haproxy:
            idle, reference = int(row["idle_rss_kb"]), int(haproxy["idle_rss_kb"])
            add(f"{row['target']}: idle RSS <= HAProxy plain",
                f"{idle / 1024:.1f} against {reference / 1024:.1f} MB", idle <= reference)
        count = re.search(r"IDLE_CONNS=(\d+)", meta.get("settings", ""))
        wanted = int(count.group(1)) if count else 0
        loaded = int(row["conns_rss_kb"])
        still_open = int(row["still_open"])
        add(f"{row['target']}: {wanted:,} idle connections under 100 MB",
            f"{loaded / 1024:.1f} MB with {still_open:,} open",
            loaded < 100 * 1024 and still_open == wanted)
    for target in ("portcullis-plain", "portcullis-rs256", "portcullis-es256"):
        one = find(rows, "scale", target, workers="1")
        two = find(rows, "scale", target, workers="2")
        if one and two:
            scaling = ratio(number(two, "rps"), number(one, "rps"))
            add(f"{target}: near-linear scaling from 1 to 2 workers (>= 1.8x)",
                f"{scaling:.2f}x", scaling >= 1.8)
    return goals


# ------------------------------------------------------------------------------------------
# Micro-benchmarks, OpenSSL and the profile


def format_time(nanoseconds):
    if nanoseconds >= 1e6:
        return f"{nanoseconds / 1e6:.2f} ms"
    if nanoseconds >= 1e3:
        return f"{nanoseconds / 1e3:.2f} µs"
    return f"{nanoseconds:.0f} ns"


def to_ns(value, unit):
    return value * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def read_micro(path):
    if not os.path.exists(path):
        return []
    with open(path) as data:
        benchmarks = json.load(data).get("benchmarks", [])
    return [b for b in benchmarks if b.get("run_type", "iteration") == "iteration"]


def read_openssl_speed(path):
    """Verify operations per second for RSA-2048, ECDSA P-256 and Ed25519."""
    speeds = {}
    if not os.path.exists(path):
        return speeds
    with open(path) as text:
        for line in text:
            rsa = re.match(r"rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", line)
            if rsa:
                speeds["rsa2048"] = float(rsa.group(2))
            ecdsa = re.match(r"\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
                             line)
            if ecdsa:
                speeds["ecdsap256"] = float(ecdsa.group(2))
            eddsa = re.match(r"\s*253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
                             line)
            if eddsa:
                speeds["ed25519"] = float(eddsa.group(2))
    return speeds


def micro_tables(run_dir, out):
    benchmarks = read_micro(os.path.join(run_dir, "micro.json"))
    if not benchmarks:
        return
    out.append("### Micro-benchmarks (Google Benchmark, CPU time per operation, one core)\n")
    out.append("| benchmark | time | iterations | note |")
    out.append("|---|---|---|---|")
    by_name = {}
    for bench in benchmarks:
        nanoseconds = to_ns(bench["cpu_time"], bench.get("time_unit", "ns"))
        by_name[bench["name"]] = nanoseconds
        note = bench.get("label", "") or bench.get("error_message", "")
        out.append(f"| {bench['name']} | {format_time(nanoseconds)} | {bench['iterations']:,} "
                   f"| {note} |")
    out.append("")

    speeds = read_openssl_speed(os.path.join(run_dir, "openssl-speed.txt"))
    if not speeds:
        return
    out.append("### Signature verification: Portcullis against `openssl speed`\n")
    out.append("| algorithm | Portcullis verifySignature() | openssl speed verify | "
               "Portcullis / OpenSSL |")
    out.append("|---|---|---|---|")
    for alg, primitive, label in (("RS256", "rsa2048", "RSA-2048"), ("PS256", "rsa2048", "RSA-2048"),
                                  ("ES256", "ecdsap256", "ECDSA P-256"),
                                  ("EdDSA", "ed25519", "Ed25519")):
        ours = by_name.get(f"BM_JwtVerify/{alg}")
        if ours is None or primitive not in speeds:
            continue
        theirs = 1e9 / speeds[primitive]
        out.append(f"| {alg} | {format_time(ours)} | {format_time(theirs)} ({label}, "
                   f"{speeds[primitive]:,.0f}/s) | {ours / theirs:.2f}x |")
    out.append("")


def profile_section(run_dir, out):
    profile = os.path.join(run_dir, "profile")
    if not os.path.isdir(profile):
        return
    syscall_rows = read_tsv_plain(os.path.join(profile, "syscalls.tsv"))
    if syscall_rows:
        out.append("### System calls per request (strace -c -f, keep-alive, 16 connections)\n")
        out.append("| target | requests | system calls | per request | most frequent |")
        out.append("|---|---|---|---|---|")
        for target, requests in syscall_rows:
            calls, top = read_strace(os.path.join(profile, f"strace-{target}.txt"))
            requests = int(requests or 0)
            per_request = f"{calls / requests:.2f}" if requests else "–"
            out.append(f"| {target} | {requests:,} | {calls:,} | {per_request} | {top} |")
        out.append("\nstrace slows every process it traces, so only the counts matter here.\n")
    self_cost = os.path.join(profile, "self.txt")
    if os.path.exists(self_cost):
        callgrind_section(profile, self_cost, out)


# Groups of functions for the callgrind summary. The first pattern that matches decides.
CATEGORIES = [
    ("memory allocation (malloc, free, new, delete)",
     r"malloc|_int_free|^free$|cfree|operator new|operator delete|tcache"),
    ("HTTP parsing (Beast basic_parser)", r"basic_parser"),
    ("message serialization (Beast serializer and buffer sequences)",
     r"buffers_cat_view|buffers_suffix|buffers_prefix|buffers_ref|buffer_sequence_adapter|"
     r"serializer|chunk_crlf|mp_with_index|beast::detail::variant"),
    ("header container (Beast basic_fields)", r"basic_fields|iless|field"),
    ("event loop, sockets and coroutines (Asio)", r"boost::asio"),
    ("OpenSSL", r"EVP_|ossl_|OPENSSL|^BN_|^RSA_|^EC_|bn_"),
    ("Portcullis code", r"portcullis::"),
    ("C library (memcpy, strings, locks)", r"^__mem|^__str|memcpy|memmove|memset|memcmp|pthread"),
    ("C++ standard library", r"std::"),
]


def simplify_function(name):
    """Keeps one level of template arguments and drops parameter lists, which make Beast and
    Asio names unreadable."""
    name = re.sub(r"\s*\[[^\]]*\]$", "", name)  # the object file
    name = re.sub(r"^(\?\?\?|[^\s:]*\.[A-Za-z]+):", "", name)  # the source file
    name = name.replace("(anonymous namespace)", "{anonymous}")
    out = []
    angle = 0
    paren = 0
    previous = ""
    for char in name:
        if char == "(":
            paren += 1
            if paren == 1:
                out.append(char)
        elif char == ")":
            paren = max(0, paren - 1)
            if paren == 0:
                out.append(char)
        elif paren:
            pass
        elif char == ">" and previous == "-":
            out.append(char)  # operator->
        elif char == "<":
            angle += 1
            if angle <= 2:
                out.append(char)
        elif char == ">":
            if angle <= 2:
                out.append(char)
            angle = max(0, angle - 1)
        elif angle < 2:
            out.append(char)
        previous = char
    return "".join(out)[:140]


def callgrind_section(profile, self_cost, out):
    requests_file = os.path.join(profile, "requests.txt")
    requests = 0
    if os.path.exists(requests_file):
        with open(requests_file) as text:
            line = text.read().strip()
        requests = parse_summary(line).get("requests", 0) if line else 0
    total = 0
    functions = []
    with open(self_cost) as text:
        for line in text:
            match = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
            if not match:
                continue
            count = int(match.group(1).replace(",", ""))
            if "PROGRAM TOTALS" in match.group(2):
                total = count
            else:
                functions.append((count, match.group(2)))
    if not total:
        return
    # A dump taken with callgrind_control lists the thread's entry points (clone, start_thread,
    # io_context::run) with the whole thread's cost, even without --inclusive. Those are not
    # self costs, so they are dropped.
    functions = [(count, function) for count, function in functions if count < 0.9 * total]
    out.append("### Callgrind: portcullis-rs256, keep-alive, cached token\n")
    per_request = f", about {total / requests:,.0f} per request" if requests else ""
    out.append(f"{total:,} instructions for {requests:,} requests{per_request} (counters "
               f"zeroed after start-up and a warm-up). Instructions by area:\n")
    shares = {}
    for count, function in functions:
        simple = simplify_function(function)
        area = next((label for label, pattern in CATEGORIES if re.search(pattern, simple)),
                    "other")
        shares[area] = shares.get(area, 0) + count
    out.append("| area | share of instructions |")
    out.append("|---|---|")
    for area, count in sorted(shares.items(), key=lambda item: -item[1]):
        out.append(f"| {area} | {100.0 * count / total:.1f}% |")
    out.append("\nTop functions by their own instructions (template arguments and parameters "
               "elided):\n")
    out.append("| share | function |")
    out.append("|---|---|")
    for count, function in sorted(functions, key=lambda item: -item[0])[:20]:
        out.append(f"| {100.0 * count / total:.1f}% | `{simplify_function(function)}` |")
    out.append("")


def read_tsv_plain(path):
    if not os.path.exists(path):
        return []
    with open(path) as table:
        return [line.rstrip("\n").split("\t") for line in table if line.strip()]


def read_strace(path):
    """Total calls and the three most frequent system calls from an strace -c summary."""
    if not os.path.exists(path):
        return 0, ""
    calls = {}
    total = 0
    with open(path) as text:
        for line in text:
            fields = line.split()
            if len(fields) < 5 or not fields[0].replace(".", "").isdigit():
                continue
            name = fields[-1]
            count_field = fields[3]
            if not count_field.isdigit():
                continue
            if name == "total":
                total = int(count_field)
            else:
                calls[name] = int(count_field)
    top = sorted(calls.items(), key=lambda item: -item[1])[:3]
    return total, ", ".join(f"{name} {count:,}" for name, count in top)


# ------------------------------------------------------------------------------------------


def markdown(args):
    run_dir = args.run_dir
    meta = read_meta(os.path.join(run_dir, "meta.txt"))
    rows = read_tsv(os.path.join(run_dir, "rows.tsv"))
    idle_rows = read_tsv(os.path.join(run_dir, "idle.tsv"))
    out = [f"# Benchmark run {meta.get('tag', '')}\n"]
    out.append(f"- Date: {meta.get('date', '')}")
    out.append(f"- Machine: {meta.get('cpu', '')}, {meta.get('cores', '')} cores, "
               f"{meta.get('memory', '')} RAM, kernel {meta.get('kernel', '')}, "
               f"Debian {meta.get('debian', '')}, {meta.get('compiler', '')}")
    out.append(f"- Software: Portcullis {meta.get('portcullis', '')} (Release), nginx "
               f"{meta.get('nginx', '')}, HAProxy {meta.get('haproxy', '')}, OpenSSL "
               f"{meta.get('openssl', '')}, wrk {meta.get('wrk', '')}, h2load "
               f"{meta.get('h2load', '')}")
    out.append(f"- Load average (1, 5, 15 min): {meta.get('load_start', '')} at the start, "
               f"{meta.get('load_end', '')} at the end")
    if meta.get("quiet"):
        out.append(f"- Quiet machine: {meta['quiet']}")
    out.append(f"- Command: `MODES=\"{meta.get('modes', '')}\" "
               f"TARGETS=\"{meta.get('targets', '')}\" {meta.get('settings', '')} "
               f"bench/run.sh`")
    out.append(f"- File-descriptor limit: {meta.get('fd_limit', '')}\n")
    out.append("Upstream for every target: one nginx worker answering `return 200` on "
               "127.0.0.1. \"Pinned\": wrk and the upstream on one core, the proxy alone on the "
               "other with one worker. CPU µs/req is the proxy's user+system CPU time over the "
               "run divided by the requests served; sys % is the system-time share of it. "
               "\"Other load\" is CPU time that other programs used on the proxy's core during "
               "the row. Ratios compare req/s with the peer's row of the same mode; for the "
               "forged rows the peer is HAProxy with bad-signature tokens.\n")

    out.append("## Results\n")
    throughput_table(rows, "keepalive", "Keep-alive, one token, pinned", out)
    throughput_table(rows, "rotate", "Keep-alive, rotating valid tokens, pinned", out)
    throughput_table(rows, "rotate-cold",
                     "Keep-alive, rotating valid tokens beyond the token cache, pinned", out)
    throughput_table(rows, "close", "New connection per request (Connection: close), pinned",
                     out)
    throughput_table(rows, "forged", "Forged tokens, all answered 401, keep-alive, pinned", out)
    rate_table(rows, out)
    idle_table(idle_rows, meta, out)
    scale_table(rows, out)

    goals = goal_rows(rows, idle_rows, meta)
    if goals:
        out.append("## Goals\n")
        out.append("| goal | measured | met |")
        out.append("|---|---|---|")
        for goal, measured, met in goals:
            out.append(f"| {goal} | {measured} | {met} |")
        out.append("")

    micro_tables(run_dir, out)
    profile_section(run_dir, out)
    with open(args.out, "w") as page:
        page.write("\n".join(out))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "h2load":
        summarize_h2load(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    row = commands.add_parser("row")
    for name in ("mode", "target", "variant", "workers", "summary", "ticks-before",
                 "ticks-after", "expected", "probe", "expected-status", "cache", "attempt"):
        row.add_argument("--" + name, required=True)
    row.add_argument("--core-before", default="")
    row.add_argument("--core-after", default="")
    row.add_argument("--clk-tck", type=float, required=True)
    row.add_argument("--wall-ns", type=float, required=True)
    row.add_argument("--rss-kb", type=int, required=True)
    page = commands.add_parser("markdown")
    page.add_argument("--run-dir", required=True)
    page.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "row":
        make_row(args)
    else:
        markdown(args)


if __name__ == "__main__":
    main()
