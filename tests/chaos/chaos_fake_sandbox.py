"""A stand-in for ``sandbox.runtime.Sandbox`` in pytester runs of the fault parts of the
plugin: its links' proxy is a real one (``FAKE_PROXY_URL``, on 127.0.0.1), its containers
record what is done to them, one line each, in ``FAKE_SANDBOX_LOG``."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

SERVICES = ("catalog", "postgres")


def record(line: str) -> None:
    with open(os.environ["FAKE_SANDBOX_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")


class FakeNetwork:
    def disconnect(self, container: FakeContainer) -> None:
        record(f"disconnect {container.service}")

    def connect(self, container: FakeContainer, aliases: list[str]) -> None:
        record(f"connect {container.service}")


class FakeContainer:
    def __init__(self, service: str) -> None:
        self.service = service
        self.client = SimpleNamespace(networks=SimpleNamespace(get=lambda name: FakeNetwork()),
                                      info=lambda: {"MemTotal": 1 << 30})  # fmt: skip
        self.attrs = {"HostConfig": {"CpuPeriod": 0, "CpuQuota": 0, "Memory": 0,
                                     "MemorySwap": 0}}  # fmt: skip

    def __getattr__(self, action: str):
        return lambda **kw: record(f"{action} {self.service}")


class ChaosFakeSandbox:
    state = SimpleNamespace(networks={"private": {}, "public": {}}, proxy="toxiproxy")

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    @classmethod
    def up(cls, env: str = "test", mode: str = "session", progress: object = None,
           owner_pid: int | None = None) -> ChaosFakeSandbox:  # fmt: skip
        record("up")
        return cls(f"run{uuid.uuid4().hex[:8]}")

    @classmethod
    def attach(cls, run_id: str | None = None) -> ChaosFakeSandbox:
        return cls(run_id or "detached")

    @property
    def proxy_url(self) -> str:
        return os.environ["FAKE_PROXY_URL"]

    def status(self) -> list[dict[str, str]]:
        return [{"service": s, "state": "running", "health": "healthy", "url": ""}
                for s in SERVICES]  # fmt: skip

    def container(self, service: str) -> FakeContainer:
        return FakeContainer(service)

    def down(self) -> None:
        record("down")
