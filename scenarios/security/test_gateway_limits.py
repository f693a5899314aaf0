"""The gateway's limits, from the host: size limits, and the rate limit per verified client.

| case | answer |
| --- | --- |
| a body over 1 MiB | 413 problem |
| a request line over 8 KiB | 414 problem |
| one header over 8 KiB, or headers over 4 x 8 KiB | 431 problem |
| one client past 100 requests/s (burst 200) | 429 problem, Retry-After: 1 |
| another client from the same address meanwhile | not limited by it |
| bogus API keys rotated on every request from one address | 401 (429 once auth throttles the address), never a service |
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from fixtures.raw_http import request, send

pytestmark = [pytest.mark.docker, pytest.mark.security]
PROBLEM = "application/problem+json"


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected, body
    assert headers["content-type"].startswith(PROBLEM)
    assert b'"status":%d' % expected in body


def test_a_body_over_one_mib_is_413_problem(enrolled_client):
    response = enrolled_client.post("/v1/orders", content=b"{" + b" " * (1 << 20) + b"}",
                                    headers={"Content-Type": "application/json"})
    assert_problem(response.status_code, dict(response.headers), response.content, 413)


def test_a_long_request_line_is_414_problem(gateway_url):
    answer = send(gateway_url, request("GET", "/v1/products/" + "a" * 9000, "Host: gateway"))
    assert_problem(answer.status, answer.headers, answer.body, 414)


@pytest.mark.parametrize("headers", [("X-Big: " + "b" * 9000,),
                                     tuple(f"X-H{i}: {'c' * 7000}" for i in range(6))])
def test_large_headers_are_431_problem(gateway_url, headers):
    answer = send(gateway_url, request("GET", "/v1/products", "Host: gateway", *headers))
    assert_problem(answer.status, answer.headers, answer.body, 431)


def burst(client, path: str, count: int = 400) -> list[tuple[int, str, str | None]]:
    """`count` GETs of `path` as `client`, all sent at once (an open burst: how fast the
    system answers does not decide how fast they arrive); (status, content type,
    Retry-After) of each."""
    headers = {"X-Api-Key": client.credentials.api_key,
               "Authorization": f"Bearer {client.token}"}

    async def one(http: httpx.AsyncClient) -> tuple[int, str, str | None]:
        response = await http.get(path)
        return (response.status_code, response.headers.get("content-type", ""),
                response.headers.get("retry-after"))

    async def run() -> list[tuple[int, str, str | None]]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=client.http.base_url, headers=headers,
                                     timeout=60, limits=limits) as http:
            await one(http)  # auth's answer cached at the gateway: the burst waits on nothing
            return list(await asyncio.gather(*(one(http) for _ in range(count))))

    return asyncio.run(run())


def test_one_client_is_limited_and_another_from_the_same_address_is_not(client_factory,
                                                                         product_factory):
    noisy, quiet = client_factory(), client_factory()
    sku = product_factory()["sku"]
    answers = burst(noisy, f"/v1/products/{sku}")
    statuses = [status for status, _, _ in answers]
    # the limiter's excess is 429; what it lets through may meet a catalog swamped by 200
    # reads at once on 2 cores: a 503 or 504 problem then (the designed overload answers)
    assert set(statuses) <= {200, 429, 503, 504}, statuses
    assert 429 in statuses, f"{len(statuses)} requests at once, none limited"
    passed = len(statuses) - statuses.count(429)
    assert passed >= 200, f"only {passed} passed the limiter: the burst of 200 was not let through"
    assert 200 in statuses, statuses
    assert all(ctype.startswith(PROBLEM) for status, ctype, _ in answers if status != 200)
    limited = [retry for status, _, retry in answers if status == 429]
    assert set(limited) == {"1"}, limited
    assert quiet.get(f"/v1/products/{sku}").status_code == 200


def test_rotating_bogus_keys_from_one_address_never_reach_a_service(gateway_url, enrolled_client):
    """A new key on every request is no new bucket: each one is refused at the gateway."""
    statuses = set()
    with httpx.Client(base_url=gateway_url, timeout=10) as http:
        for _ in range(30):
            response = http.get("/v1/customers/me", headers={
                "X-Api-Key": f"sk_{uuid.uuid4().hex}",
                "Authorization": f"Bearer {enrolled_client.token}"})
            assert response.headers["content-type"].startswith(PROBLEM)
            statuses.add(response.status_code)
    assert statuses <= {401, 429}, statuses
