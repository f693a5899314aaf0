"""Proxy benchmark: one hop through the Toxiproxy-compatible server (no toxics) against a
direct connection to the same echo/sink server, in the same run, interleaved; then the
accuracy of the latency toxic.

    .venv/bin/python benchmarks/proxy.py                 # defaults below
    .venv/bin/python benchmarks/proxy.py --rounds 5 --bulk-mb 512

The server runs as users run it (``python -m sandbox.toxiproxy``), the echo/sink server in
another process, the client here: three processes, so no GIL is shared. Prints Markdown.
Targets: <= 0.3 ms added at p50, >= 300 MB/s through the proxy.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 1 << 20


# --- the echo/sink server (its own process) ------------------------------------------
def _serve(conn: socket.socket) -> None:
    """First byte picks the mode: b"e" echo, b"s" sink (8-byte length, then bytes; ack)."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        mode = conn.recv(1)
        if mode == b"e":
            while data := conn.recv(65536):
                conn.sendall(data)
        elif mode == b"s":
            size = struct.unpack("!Q", _recv_exactly(conn, 8))[0]
            buf = bytearray(CHUNK)
            while size > 0:
                got = conn.recv_into(buf, min(size, CHUNK))
                if not got:
                    return
                size -= got
            conn.sendall(b"k")


def _server_main(port_pipe: multiprocessing.connection.Connection) -> None:
    srv = socket.create_server(("127.0.0.1", 0), backlog=128)
    port_pipe.send(srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_serve, args=(conn,), daemon=True).start()


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed early")
        data += chunk
    return data


# --- the client ----------------------------------------------------------------------
def _connect(port: int, mode: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mode)
    return sock


def round_trips(sock: socket.socket, count: int, size: int = 64) -> list[float]:
    payload = b"x" * size
    out = []
    for _ in range(count):
        start = time.perf_counter()
        sock.sendall(payload)
        _recv_exactly(sock, size)
        out.append(time.perf_counter() - start)
    return out


def bulk(port: int, size: int) -> float:
    """Seconds to push ``size`` bytes to the sink and get its ack."""
    block = memoryview(os.urandom(CHUNK))
    with _connect(port, b"s") as sock:
        start = time.perf_counter()
        sock.sendall(struct.pack("!Q", size))
        left = size
        while left > 0:
            n = min(left, CHUNK)
            sock.sendall(block[:n])
            left -= n
        _recv_exactly(sock, 1)
        return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class ProxyServer:
    """``python -m sandbox.toxiproxy`` in a subprocess, its API port read from its log."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox.toxiproxy", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = json.loads(self.proc.stdout.readline())["port"]
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def close(self) -> None:
        self.api.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--trips", type=int, default=1000, help="round trips per round")
    parser.add_argument("--bulk-mb", type=int, default=256, help="MB per bulk transfer")
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    sink = multiprocessing.Process(target=_server_main, args=(child,), daemon=True)
    sink.start()
    backend = parent.recv()
    server = ProxyServer()
    try:
        proxy = server.api.post(
            "/proxies",
            json={"name": "bench", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{backend}"},
        ).json()
        hop = int(proxy["listen"].rsplit(":", 1)[1])
        report(server, backend, hop, args)
    finally:
        server.close()
        sink.terminate()


def report(server: ProxyServer, backend: int, hop: int, args: argparse.Namespace) -> None:
    rtt: dict[str, list[float]] = {"direct": [], "proxy": []}
    tput: dict[str, list[float]] = {"direct": [], "proxy": []}
    size = args.bulk_mb * 1_000_000
    with _connect(backend, b"e") as direct, _connect(hop, b"e") as proxied:
        round_trips(direct, 200)
        round_trips(proxied, 200)  # warm up
        for _ in range(args.rounds):
            for name, sock, port in (("direct", direct, backend), ("proxy", proxied, hop)):
                rtt[name] += round_trips(sock, args.trips)
                tput[name].append(size / bulk(port, size) / 1e6)

    print(
        f"## Proxy (`benchmarks/proxy.py --rounds {args.rounds} --trips {args.trips} "
        f"--bulk-mb {args.bulk_mb}`)\n"
    )
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores; one hop, no toxics, vs direct to the same server.\n"
    )
    print("| path | p50 RTT (ms) | p99 RTT (ms) | throughput (MB/s, median) |")
    print("| --- | --- | --- | --- |")
    for name in ("direct", "proxy"):
        print(
            f"| {name} | {pct(rtt[name], 0.5) * 1e3:.3f} | {pct(rtt[name], 0.99) * 1e3:.3f} "
            f"| {statistics.median(tput[name]):.0f} |"
        )
    added50 = (pct(rtt["proxy"], 0.5) - pct(rtt["direct"], 0.5)) * 1e3
    added99 = (pct(rtt["proxy"], 0.99) - pct(rtt["direct"], 0.99)) * 1e3
    print(
        f"\nAdded by the hop: p50 {added50:.3f} ms (target <= 0.3), p99 {added99:.3f} ms; "
        f"throughput {statistics.median(tput['proxy']):.0f} MB/s (target >= 300).\n"
    )

    print("| latency set (ms) | stream | samples | median added (ms) | error (ms) |")
    print("| --- | --- | --- | --- | --- |")
    with _connect(hop, b"e") as sock:
        for latency, samples in ((10, 40), (100, 15), (1000, 5)):
            for stream in ("upstream", "downstream"):
                base = statistics.median(round_trips(sock, 20))
                server.api.post(
                    "/proxies/bench/toxics",
                    json={"type": "latency", "stream": stream, "attributes": {"latency": latency}},
                )
                added = (statistics.median(round_trips(sock, samples)) - base) * 1e3
                server.api.delete(f"/proxies/bench/toxics/latency_{stream}")
                print(
                    f"| {latency} | {stream} | {samples} | {added:.2f} | {added - latency:+.2f} |"
                )


if __name__ == "__main__":
    main()
