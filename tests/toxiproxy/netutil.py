"""Helpers for the proxy tests: the server in a subprocess, a threaded echo server,
addresses and exact reads."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """The server in a subprocess; ``logs`` collects its JSON log lines."""

    def __init__(self, *args: str, preamble: str | None = None) -> None:
        """``preamble``: Python run first in the server's process (to emulate a runtime)."""
        entry = ["-m", "sandbox.toxiproxy"]
        if preamble is not None:
            code = f"{preamble}\nimport runpy\nrunpy.run_module('sandbox.toxiproxy', run_name='__main__')"
            entry = ["-c", code]
        self.process = subprocess.Popen(
            [
                sys.executable,
                *entry,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *args,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.logs: list[dict[str, object]] = []
        # read up to the line saying the API listens (the config's proxies come first)
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited with {self.process.wait()}")
            self.logs.append(json.loads(line))
            if self.logs[-1].get("event") == "api_started":
                break
        self.port = int(self.logs[-1]["port"])  # type: ignore[arg-type]
        self._drain = threading.Thread(target=self._read_logs, daemon=True)
        self._drain.start()

    def _read_logs(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.logs.append(json.loads(line))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=10)
        self._drain.join(timeout=5)
        return code


@contextmanager
def proxy_with_config(config_dir: Path, config: list[dict[str, object]]) -> Iterator[ServerProcess]:
    """The server started with ``config`` (populate JSON, written to ``config_dir``)."""
    (config_dir / "links.json").write_text(json.dumps(config))
    server = ServerProcess("--config", str(config_dir / "links.json"))
    try:
        yield server
    finally:
        server.stop()


def proxy_with_links(config_dir: Path, links: Iterable[str]) -> AbstractContextManager[ServerProcess]:
    """The server with one proxy per link name, each listening on 127.0.0.1 and pointing
    at the discard port there (nothing answers: for API-level tests)."""
    return proxy_with_config(
        config_dir, [{"name": n, "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"} for n in links]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class EchoServer:
    """Echoes every byte back on each connection (one thread a connection)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def upstream(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(listen: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(address(listen), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        data = sock.recv(min(size - got, 1 << 20))
        if not data:
            raise ConnectionError(f"closed after {got} of {size} bytes")
        parts.append(data)
        got += len(data)
    return b"".join(parts)
