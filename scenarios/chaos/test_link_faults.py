"""Every link goes through the proxy: a fault on one link shows up in the traffic it
carries, and goes away with the fault. Driven with toxiproxy-python, as QA would."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest

from fixtures.gateway_client import GatewayClient
from fixtures.waiting import eventually

pytestmark = [pytest.mark.docker, pytest.mark.chaos]

LATENCY_S = 0.3
SAMPLES = 5
PROBLEM = "application/problem+json"


def timed_products(client: GatewayClient) -> list[float]:
    """Durations of ``GET /v1/products`` through the gateway, each one a 200."""
    durations = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = client.get("/v1/products", params={"limit": 5})
        durations.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    return durations


def http_status(sandbox: Any, service: str, url: str) -> str:
    """The status code of ``url`` fetched from inside ``service``'s container."""
    _, out = sandbox.exec(
        service, ["curl", "-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code}", url]
    )
    return out.strip()


def test_latency_on_gateway_to_catalog_delays_products_and_recovers(enrolled_client, link_faults):
    client = enrolled_client
    timed_products(client)  # warm: the verify cache and the connections
    before = timed_products(client)

    link = link_faults.proxy("gateway->catalog")
    link.add_toxic(
        name="slow", type="latency", stream="downstream",
        attributes={"latency": int(LATENCY_S * 1000), "jitter": 0},
    )
    slow = timed_products(client)
    assert min(slow) >= LATENCY_S, slow
    # at least 300 ms more (less a few ms of timer and scheduling noise between samples)
    assert statistics.median(slow) - statistics.median(before) >= LATENCY_S - 0.02, (before, slow)

    link.destroy_toxic("slow")
    after = timed_products(client)
    assert statistics.median(after) < statistics.median(before) + LATENCY_S / 2, (before, after)


def test_catalog_without_its_database_answers_503_and_recovers(
    sandbox, enrolled_client, link_faults
):
    client = enrolled_client
    assert client.get("/v1/products").status_code == 200

    link_faults.proxy("catalog->postgres").disable()
    response = client.get("/v1/products")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 503
    ready = "http://127.0.0.1:8000/health/ready"
    assert http_status(sandbox, "catalog", ready) == "503"
    # links are per container: the catalog worker keeps its own database link
    assert http_status(sandbox, "catalog-worker", "http://127.0.0.1:8001/health/ready") == "200"

    link_faults.proxy("catalog->postgres").enable()
    eventually(lambda: http_status(sandbox, "catalog", ready), timeout=30, until=lambda s: s == "200")
    eventually(
        lambda: client.get("/v1/products"), timeout=30, until=lambda r: r.status_code == 200
    )


def test_every_link_is_listed_and_carries_no_fault_outside_chaos_tests(sandbox):
    links = sandbox.links()
    names = {link["name"] for link in links}
    assert {"gateway->auth", "gateway->catalog", "monolith->catalog", "catalog->postgres",
            "catalog-worker->broker", "catalog-worker->cache"} <= names
    assert all(link["enabled"] and not link["toxics"] for link in links), links


def test_a_fault_block_from_python_slows_the_flow_then_goes_away(
    sandbox, enrolled_client, link_faults
):
    client = enrolled_client
    timed_products(client)  # warm
    before = timed_products(client)
    with sandbox.faults.latency("gateway->catalog", ms=int(LATENCY_S * 1000)) as fault_id:
        assert fault_id == "gateway->catalog/latency_downstream"
        slow = timed_products(client)
    assert min(slow) >= LATENCY_S, slow
    assert all(not link["toxics"] for link in sandbox.links())
    after = timed_products(client)
    assert statistics.median(after) < statistics.median(before) + LATENCY_S / 2, (before, after)
