"""Every answer the gateway itself gives is application/problem+json, on a raw socket to its
host port (127.0.0.1), and no error body names an internal address.

| request | answer |
| --- | --- |
| a garbage request line | 400 problem |
| a header line without a colon | 400 problem |
| HTTP/2.0 in the request line | 505 problem |
| an unknown Transfer-Encoding | 501 problem |
| TRACE | 405 problem |
| an unknown path, inside or outside /v1/ | 404 problem |
| a body announced over 1 MiB | 413 problem |
| no credentials / bad token | 401 problem |
| /internal/ on any console port (9090, 9093, 15672, 8474) | 404 problem |
| an alert posted to Alertmanager's console | 405 problem |
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from fixtures.raw_http import request, send

pytestmark = [pytest.mark.docker, pytest.mark.security]
PROBLEM = "application/problem+json"
CONSOLES = (9090, 9093, 15672, 8474)

CASES = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /v1/products HTTP/1.1\r\nHost gateway\r\n\r\n", 400),
    (b"GET /v1/products HTTP/2.0\r\nHost: gateway\r\n\r\n", 505),
    (request("POST", "/v1/orders", "Host: gateway", "Transfer-Encoding: gzip, x"), 501),
    (request("TRACE", "/v1/products", "Host: gateway"), 405),
    (request("GET", "/nothing-here", "Host: gateway"), 404),
    (request("GET", "/v1/nothing-here", "Host: gateway"), 404),
    (request("POST", "/v1/orders", "Host: gateway", "Content-Length: 5000000"), 413),
    (request("GET", "/v1/customers/me", "Host: gateway"), 401),
    (request("GET", "/v1/customers/me", "Host: gateway", "X-Api-Key: sk_x",
             "Authorization: Bearer x.y.z"), 401),
]


def assert_no_internal_address(sandbox, body: bytes) -> None:
    text = body.decode(errors="replace")
    for network in sandbox.state.networks.values():
        subnet = ipaddress.ip_network(network["subnet"])
        for found in re.findall(r"\d+\.\d+\.\d+\.\d+", text):
            assert ipaddress.ip_address(found) not in subnet, text
    assert "toxiproxy" not in text and ":8000" not in text, text


@pytest.mark.parametrize(("data", "status"), CASES,
                         ids=[f"{s}-{d[:24].decode(errors='replace')}" for d, s in CASES])
def test_the_gateways_own_errors_are_problems(sandbox, gateway_url, data, status):
    answer = send(gateway_url, data)
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == PROBLEM
    body = json.loads(answer.body)
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert_no_internal_address(sandbox, answer.body)


@pytest.mark.parametrize("console", CONSOLES)
def test_no_console_port_opens_an_internal_path(sandbox, console):
    port = sandbox.host_port("gateway", console)
    for target in ("/internal/alerts", "/%69nternal/alerts", "/internal/verify"):
        answer = send(port, request("GET", target, "Host: gateway"))
        assert answer.status == 404, (console, target, answer.body)
        assert answer.headers["content-type"] == PROBLEM


def test_alertmanagers_console_takes_no_alert(sandbox):
    port = sandbox.host_port("gateway", 9093)
    alert = b'[{"labels":{"alertname":"forged"}}]'
    for target in ("/api/v2/alerts", "/api/v1/alerts"):
        answer = send(port, request("POST", target, "Host: gateway",
                                    "Content-Type: application/json",
                                    f"Content-Length: {len(alert)}", body=alert))
        assert answer.status == 405, answer.body
        assert answer.headers["content-type"] == PROBLEM
    assert send(port, request("GET", "/api/v2/alerts", "Host: gateway")).status == 200
