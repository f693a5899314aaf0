"""Recording fakes of the links' proxy, the containers and the gateway, for the chaos
engine's unit tests. The fake gateway answers according to the faults in place on the
fake proxy, so a scenario sees its faults the way it would through the real one."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from sandbox.chaos.fault_specs import ContainerFaultSpec
from sandbox.errors import SandboxError

LINKS = ("catalog->postgres", "gateway->catalog", "gateway->monolith", "monolith->catalog")
SERVICES = ("catalog", "catalog-worker", "monolith", "postgres")
PROBLEM = "application/problem+json"


class FakeLinks:
    """``LinkFaults``: faults by id, every call recorded."""

    def __init__(self, names: tuple[str, ...] = LINKS) -> None:
        self.names = names
        self.calls: list[tuple[str, ...]] = []
        self.in_place: set[str] = set()

    def proxies(self) -> dict[str, Any]:
        return {name: {"name": name} for name in self.names}

    def add(self, link: str, fault: Any, stream: str = "downstream", toxicity: float = 1.0) -> str:
        fault_id = f"{link}/down" if fault.kind == "down" else f"{link}/{fault.kind}_{stream}"
        self.calls.append(("add", fault_id))
        self.in_place.add(fault_id)
        return fault_id

    def remove(self, fault_id: str) -> None:
        self.calls.append(("remove", fault_id))
        self.in_place.discard(fault_id)

    def clear(self) -> None:
        self.calls.append(("clear",))
        self.in_place.clear()


class FakeContainers:
    """``SandboxContainers``: a started service is healthy after ``starting_polls`` polls;
    an action in ``failing`` raises like Docker would."""

    def __init__(self, starting_polls: int = 2) -> None:
        self.calls: list[Any] = []
        self.state = {s: "running" for s in SERVICES}
        self.failing: set[str] = set()
        self.starting_polls = starting_polls
        self._polls: dict[str, int] = {}

    def services(self) -> list[str]:
        return list(SERVICES)

    def networks(self) -> list[str]:
        return ["private", "public"]

    def apply(self, spec: ContainerFaultSpec) -> str:
        if spec.action in self.failing:
            raise SandboxError(f"docker refused to {spec.action} {spec.service}", "try again")
        self.calls.append(spec.describe())
        after = {"pause": "paused", "unpause": "running", "stop": "exited", "kill": "exited",
                 "start": "starting", "restart": "starting", "partition": "running",
                 "heal": "running", "throttle": "running"}[spec.action]  # fmt: skip
        self.state[spec.service] = after
        self._polls[spec.service] = 0
        return spec.describe()

    def not_ready(self, service: str) -> str | None:
        state = self.state[service]
        if state == "starting":
            self._polls[service] += 1
            if self._polls[service] >= self.starting_polls:
                self.state[service] = state = "running"
        return None if state == "running" else f"state {state}"

    def limits(self, service: str) -> dict[str, int]:
        return {"CpuPeriod": 0, "CpuQuota": 0, "Memory": 0, "MemorySwap": 0}

    def restore_limits(self, service: str, limits: dict[str, int]) -> None:
        self.calls.append(("restore", service, limits))


class FakeResponse:
    def __init__(self, status: int, body: Any = None, content_type: str = "application/json"):
        self.status_code = status
        self._body = body
        self.headers = {"content-type": content_type}

    def json(self) -> Any:
        if self._body is None:
            raise ValueError("no JSON body")
        return self._body


class FakeGateway:
    """The gateway as the order flow sees it, shaped by the faults in ``links``:

    - ``gateway->monolith/down``: orders answer 503 problem+json;
    - ``monolith->catalog/down``: orders answer 503 text/html (a bare error page);
    - ``monolith->catalog/latency_downstream``: orders take ``slow_s`` longer;
    - ``stuck``: once a fault was seen, orders keep failing after it is gone.
    Orders end ``paid`` with one payment, unless ``pay`` is False (they stay pending).
    """

    def __init__(self, links: FakeLinks, slow_s: float = 0.05) -> None:
        self.links = links
        self.slow_s = slow_s
        self.pay = True
        self.stuck = False
        self.products_status = 200
        self.orders: dict[str, str] = {}
        self._broken = False
        self._lock = threading.Lock()

    def post(self, url: str, json: Any = None, timeout: float | None = None) -> FakeResponse:
        assert url == "/v1/orders" and json["items"][0]["quantity"] == 1
        faults = set(self.links.in_place)
        if "monolith->catalog/latency_downstream" in faults:
            time.sleep(self.slow_s)
        if "gateway->monolith/down" in faults or (self.stuck and self._broken):
            self._broken = True
            return FakeResponse(503, {"status": 503}, PROBLEM)
        if "monolith->catalog/down" in faults:
            return FakeResponse(503, None, "text/html")
        order_id = str(uuid.uuid4())
        with self._lock:
            self.orders[order_id] = "paid" if self.pay else "pending"
        return FakeResponse(201, {"id": order_id, "status": "pending"})

    def get(self, url: str, params: Any = None, timeout: float | None = None) -> FakeResponse:
        if url == "/v1/products":
            return FakeResponse(self.products_status, {"items": []})
        if url.startswith("/v1/products/"):
            return FakeResponse(200, {"sku": url.rsplit("/", 1)[-1], "stock": 1000})
        if url == "/v1/payments":
            with self._lock:
                paid = self.orders.get(params["order_id"]) == "paid"
            return FakeResponse(200, {"items": [{"order_id": params["order_id"]}] if paid else []})
        order_id = url.rsplit("/", 1)[-1]
        with self._lock:
            status = self.orders.get(order_id)
        return FakeResponse(404) if status is None else FakeResponse(200, {"status": status})
