#!/usr/bin/python3
"""Open many keep-alive connections to a proxy, send one request on each, and hold them idle.

bench/run.sh uses this to measure a proxy's memory with idle client connections. Each
connection sends one GET (with a bearer token when given) and reads the whole response, so the
proxy has served a request on it, as on a real keep-alive connection. The script then writes a
status line to --status-file, waits --settle seconds, checks how many connections the proxy
still keeps open, appends a second line, and keeps every connection open until it is terminated or
--hold seconds pass.

Status lines: "opened=N ok=N failed=N" then "still_open=N".
"""

import argparse
import resource
import selectors
import signal
import socket
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10000, help="connections to open")
    parser.add_argument("--token", default="", help="bearer token to send, if any")
    parser.add_argument("--status-file", required=True)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the last response and the open-connection check")
    parser.add_argument("--hold", type=float, default=120.0,
                        help="seconds to hold the connections at most")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds allowed for opening and the first responses")
    return parser.parse_args()


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.received = bytearray()
        self.done = False
        self.ok = False

    def response_complete(self):
        """True once the status line, headers and Content-Length bytes of body have arrived."""
        end = self.received.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.received[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.received) - (end + 4) < length:
            return False
        parts = head[0].split(" ")
        self.ok = len(parts) > 1 and parts[1] == "200"
        return True


def open_and_request(args, request):
    selector = selectors.DefaultSelector()
    connections = []
    failed = 0
    deadline = time.monotonic() + args.timeout
    batch = 256
    for start in range(0, args.count, batch):
        for _ in range(min(batch, args.count - start)):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.connect((args.host, args.port))
            except BlockingIOError:
                pass
            except OSError:
                failed += 1
                sock.close()
                continue
            connection = Connection(sock)
            connections.append(connection)
            selector.register(sock, selectors.EVENT_WRITE, connection)
        # Finish this batch before opening the next, so at most one batch waits in the proxy's
        # accept queue.
        pending = sum(1 for c in connections if not c.done)
        while pending and time.monotonic() < deadline:
            for key, events in selector.select(timeout=1.0):
                connection = key.data
                try:
                    if events & selectors.EVENT_WRITE:
                        connection.sock.send(request)
                        selector.modify(connection.sock, selectors.EVENT_READ, connection)
                        continue
                    data = connection.sock.recv(65536)
                except OSError:
                    data = b""
                if data:
                    connection.received += data
                    if not connection.response_complete():
                        continue
                connection.done = True
                selector.unregister(connection.sock)
            pending = sum(1 for c in connections if not c.done)
    for connection in connections:
        if not connection.done:
            selector.unregister(connection.sock)
    return connections, failed


def count_open(connections):
    """Connections the server has not closed: a peek returns no data and no EOF."""
    still_open = 0
    for connection in connections:
        try:
            data = connection.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            still_open += 1
            continue
        except OSError:
            continue
        if data:
            still_open += 1
    return still_open


def main():
    args = parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    lines = ["GET / HTTP/1.1", "Host: bench.example", "User-Agent: idle-clients"]
    if args.token:
        lines.append("Authorization: Bearer " + args.token)
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()

    connections, failed = open_and_request(args, request)
    ok = sum(1 for c in connections if c.ok)
    not_ok = len(connections) - ok
    with open(args.status_file, "w") as status:
        status.write(f"opened={len(connections)} ok={ok} failed={failed + not_ok}\n")
    time.sleep(args.settle)
    with open(args.status_file, "a") as status:
        status.write(f"still_open={count_open(connections)}\n")
    time.sleep(args.hold)


if __name__ == "__main__":
    main()
