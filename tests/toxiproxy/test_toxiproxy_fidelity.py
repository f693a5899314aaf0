"""What the toxics do to real TCP traffic through the server: bytes intact under live
chain changes, latency and bandwidth accuracy, and each fault firing in its window."""

from __future__ import annotations

import random
import select
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.toxiproxy.netutil import EchoServer, connect, free_port, recv_exactly

pytestmark = [pytest.mark.fidelity, pytest.mark.timeout(60)]


@pytest.fixture
def proxy(api: httpx.Client, echo: EchoServer) -> Iterator[str]:
    """A proxy in front of the echo server; yields its listen address."""
    response = api.post(
        "/proxies", json={"name": "fid", "listen": "127.0.0.1:0", "upstream": echo.upstream}
    )
    yield response.json()["listen"]


def add_toxic(api: httpx.Client, toxic_type: str, stream: str, **attributes: int) -> None:
    response = api.post(
        "/proxies/fid/toxics", json={"type": toxic_type, "stream": stream, "attributes": attributes}
    )
    assert response.status_code == 200, response.text


def round_trip(sock: socket.socket, payload: bytes = b"x") -> float:
    start = time.perf_counter()
    sock.sendall(payload)
    recv_exactly(sock, len(payload))
    return time.perf_counter() - start


def median_rtt(sock: socket.socket, samples: int) -> float:
    return statistics.median(round_trip(sock) for _ in range(samples))


TOGGLED = [
    ("latency", {"latency": 2, "jitter": 1}),
    ("bandwidth", {"rate": 5000}),
    ("slow_close", {"delay": 10}),
    ("reset_peer", {"timeout": 60_000}),
    ("slicer", {"average_size": 64, "size_variation": 32, "delay": 10}),
    ("limit_data", {"bytes": 10**12}),
    ("noop", {}),
]
# removing these ends the connection by design (as in Toxiproxy): tested on their own
CLOSES_WHEN_REMOVED = ["timeout"]


CYCLE = random.Random(0).randbytes(16 << 20)


def stream_bytes(offset: int, size: int) -> bytes:
    """Bytes ``offset .. offset+size`` of an endless pseudo-random stream (16 MiB period)."""
    start = offset % len(CYCLE)
    end = start + size
    if end <= len(CYCLE):
        return CYCLE[start:end]
    return CYCLE[start:] + CYCLE[: end - len(CYCLE)]


@pytest.mark.parametrize(("toxic_type", "attributes"), TOGGLED, ids=[t for t, _ in TOGGLED])
def test_bytes_intact_while_toxic_is_added_and_removed_100_times(
    api: httpx.Client, proxy: str, toxic_type: str, attributes: dict[str, int]
):
    sent = received = 0
    mismatch: list[int] = []
    sender_done = threading.Event()
    stop = threading.Event()
    sock = connect(proxy, timeout=20)

    def send() -> None:  # paced, so bytes flow during every one of the 100 toggles
        nonlocal sent
        rng = random.Random(1)
        try:
            while not stop.is_set():
                size = rng.choice((1, 7, 100, 1500, 16384, 65536))
                sock.sendall(stream_bytes(sent, size))
                sent += size
                time.sleep(0.0005)
        finally:
            sender_done.set()

    def receive() -> None:
        nonlocal received
        deadline = None
        while not (sender_done.is_set() and received >= sent):
            if sender_done.is_set():
                deadline = deadline or time.monotonic() + 20
                if time.monotonic() > deadline:
                    return
            if not select.select([sock], [], [], 0.1)[0]:
                continue
            chunk = sock.recv(1 << 20)
            if not chunk:
                return
            if chunk != stream_bytes(received, len(chunk)):
                mismatch.append(received)
                return
            received += len(chunk)

    sender = threading.Thread(target=send)
    receiver = threading.Thread(target=receive)
    sender.start()
    receiver.start()
    sent_during: list[int] = []
    try:
        for i in range(100):
            stream = ("upstream", "downstream")[i % 2]
            before = sent
            add_toxic(api, toxic_type, stream, **attributes)
            assert api.delete(f"/proxies/fid/toxics/{toxic_type}_{stream}").status_code == 204
            sent_during.append(sent - before)
    finally:
        stop.set()
        sender.join()
        receiver.join(timeout=30)
        sock.close()
    assert not mismatch, f"stream differs at byte {mismatch[0]}"
    assert received == sent
    assert sum(1 for n in sent_during if n > 0) >= 50, "bytes must flow while toggling"


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_latency_adds_its_median_per_direction(api: httpx.Client, proxy: str, stream: str):
    latency_ms = 100
    with connect(proxy) as sock:
        round_trip(sock)
        baseline = median_rtt(sock, 15)
        add_toxic(api, "latency", stream, latency=latency_ms)
        delayed = median_rtt(sock, 15)
    added_ms = (delayed - baseline) * 1000
    assert abs(added_ms - latency_ms) <= max(1.0, 0.02 * latency_ms), added_ms


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_bandwidth_is_within_5_percent_of_the_rate(api: httpx.Client, proxy: str, stream: str):
    rate_kb = 2000
    size = 2_000_000  # one second: wake-up delays at the ends weigh little
    add_toxic(api, "bandwidth", stream, rate=rate_kb)
    payload = random.Random(2).randbytes(size)
    with connect(proxy, timeout=10) as sock:
        start = time.perf_counter()
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        echoed = recv_exactly(sock, size)
        elapsed = time.perf_counter() - start
        sender.join()
    assert echoed == payload
    measured_kb = size / elapsed / 1000
    assert abs(measured_kb - rate_kb) <= 0.05 * rate_kb, measured_kb


def test_timeout_closes_within_its_window_and_passes_nothing(api: httpx.Client, proxy: str):
    add_toxic(api, "timeout", "downstream", timeout=300)
    with connect(proxy) as sock:
        start = time.perf_counter()
        sock.sendall(b"hello")
        assert sock.recv(100) == b""
        elapsed = time.perf_counter() - start
    assert 0.29 <= elapsed <= 0.6, elapsed


def test_removing_timeout_closes_the_connection_and_drops_what_it_swallowed(
    api: httpx.Client, proxy: str
):
    add_toxic(api, "timeout", "downstream", timeout=0)
    with connect(proxy) as sock:
        sock.sendall(b"swallowed")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        sock.settimeout(5)
        assert api.delete("/proxies/fid/toxics/timeout_downstream").status_code == 204
        assert sock.recv(100) == b""


def test_bandwidth_zero_holds_data_until_removed(api: httpx.Client, proxy: str):
    add_toxic(api, "bandwidth", "downstream", rate=0)
    with connect(proxy) as sock:
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        sock.settimeout(5)
        assert api.delete("/proxies/fid/toxics/bandwidth_downstream").status_code == 204
        assert recv_exactly(sock, 4) == b"held"


def test_reset_peer_resets_within_its_window(api: httpx.Client, proxy: str):
    add_toxic(api, "reset_peer", "downstream", timeout=200)
    with connect(proxy) as sock:
        start = time.perf_counter()
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            while sock.recv(100):
                pass
        elapsed = time.perf_counter() - start
    assert 0.19 <= elapsed <= 0.5, elapsed


def test_limit_data_closes_after_the_limit(api: httpx.Client, proxy: str):
    add_toxic(api, "limit_data", "downstream", bytes=10)
    with connect(proxy) as sock:
        sock.sendall(b"0123456789abcdefghij")
        got = b""
        while chunk := sock.recv(100):
            got += chunk
    assert got == b"0123456789"


def test_slow_close_delays_the_close(api: httpx.Client, proxy: str):
    add_toxic(api, "slow_close", "downstream", delay=300)
    with connect(proxy) as sock:
        start = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""
        elapsed = time.perf_counter() - start
    assert 0.29 <= elapsed <= 0.6, elapsed


def test_toxicity_zero_has_no_effect(api: httpx.Client, proxy: str):
    response = api.post(
        "/proxies/fid/toxics",
        json={"type": "latency", "toxicity": 0, "attributes": {"latency": 1000}},
    )
    assert response.status_code == 200
    with connect(proxy) as sock:
        assert median_rtt(sock, 5) < 0.1


def test_upstream_down_closes_client_connections(api: httpx.Client):
    listen = api.post(
        "/proxies",
        json={"name": "down", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{free_port()}"},
    ).json()["listen"]
    with connect(listen, timeout=5) as sock:
        try:
            assert sock.recv(100) == b""
        except ConnectionResetError:
            pass


def test_disabled_proxy_refuses_and_drops_connections(api: httpx.Client, proxy: str):
    with connect(proxy) as sock:
        round_trip(sock)
        assert api.post("/proxies/fid", json={"enabled": False}).status_code == 200
        try:
            assert sock.recv(100) == b""
        except ConnectionResetError:
            pass
    with pytest.raises(ConnectionRefusedError):
        connect(proxy, timeout=2)
