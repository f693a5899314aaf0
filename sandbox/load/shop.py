"""The shop's journeys through the gateway, and the clients and products they use.

    browse   list products, then read one (a catalog cache hit)          steps: list products,
                                                                                get product
    product  read one product (the capacity benchmark's request)         step: get product
    login    exchange an enrolled client's key and password for a JWT   step: token
    order    place an order (Idempotency-Key), then wait until paid     steps: place order, paid

``prepare_shop`` enrols ``clients`` clients through the admin (each with its own API key,
user and token, so the per-client rate limit of the gateway is shared out) and creates
``products`` products with stock enough for any bounded run. Each arrival gets one
client and one product by its index (``Shop.data_for``), the same in every generator
process.

>>> shop = Shop(clients=(ShopClient("k1", "u1", "p1", "t1"),), skus=("SKU-1",))
>>> shop.data_for(7)["sku"], shop.data_for(7)["headers"]["X-Api-Key"]
('SKU-1', 'k1')
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.errors import SandboxError
from sandbox.load.journeys import JourneyContext, journey

BUSY_FOR_S = 60.0  # how long enrolment waits out a system still busy (503/504)
PAID_WITHIN_S = 10.0  # an accepted order not paid by then fails its `paid` step
# how often a client asks whether its order is paid: ten times a second per pending order
# (0.1 s) drowned the monolith in polls at 20 orders/s
POLL_S = 0.5
STOCK = 1_000_000
TERMINAL = ("paid", "payment_failed", "rejected")


class ShopNotReady(SandboxError):
    pass


@dataclass(frozen=True)
class ShopClient:
    api_key: str
    username: str
    password: str
    token: str


@dataclass(frozen=True)
class Shop:
    """Enrolled clients and products; ``data_for`` is the engine's ``data`` (picklable)."""

    clients: tuple[ShopClient, ...]
    skus: tuple[str, ...]

    def data_for(self, user: int) -> dict[str, Any]:
        client = self.clients[user % len(self.clients)]
        return {"sku": self.skus[user % len(self.skus)], "username": client.username,
                "password": client.password,
                "headers": {"X-Api-Key": client.api_key,
                            "Authorization": f"Bearer {client.token}"}}


def _send(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One admin call; a 503 or 504 (the system still draining a load run before this
    one: it says when to come back) or a 429 (the admin's own rate limit, when a run makes
    many products) is sent again after its Retry-After, for up to ``BUSY_FOR_S``."""
    deadline = time.monotonic() + BUSY_FOR_S
    while True:
        response = http.request(method, url, **kwargs)
        if response.status_code not in (429, 503, 504) or time.monotonic() > deadline:
            return response
        retry_after = response.headers.get("Retry-After", "1")
        threading.Event().wait(min(5.0, float(retry_after) if retry_after.isdigit() else 1.0))


def _checked(response: httpx.Response, what: str, also: tuple[int, ...] = ()) -> dict[str, Any]:
    if response.status_code not in (200, 201, *also):
        raise ShopNotReady(f"{what} answered {response.status_code}: {response.text[:200]}",
                           "check that the sandbox is up and healthy (`sandbox status`)")
    return response.json()


def _token(http: httpx.Client, api_key: str, username: str, password: str) -> str:
    body = _checked(_send(http, "POST", "/v1/auth/token", headers={"X-Api-Key": api_key},
                          json={"username": username, "password": password}),
                    "POST /v1/auth/token")
    return str(body["access_token"])


def prepare_shop(gateway_url: str, admin_key: str, admin_password: str, clients: int = 16,
                 products: int = 4, progress: Callable[[str], None] | None = None) -> Shop:
    """Enrol ``clients`` clients and create ``products`` products through the gateway."""
    with httpx.Client(base_url=gateway_url, timeout=10) as http:
        admin = {"X-Api-Key": admin_key,
                 "Authorization": f"Bearer {_token(http, admin_key, 'admin', admin_password)}"}
        made: list[ShopClient] = []
        for i in range(clients):
            body = _checked(_send(http, "POST", "/v1/admin/clients", headers=admin,
                                  json={"name": f"load-{uuid.uuid4().hex[:10]}"}),
                            "POST /v1/admin/clients")
            token = _token(http, body["api_key"], body["username"], body["password"])
            made.append(ShopClient(body["api_key"], body["username"], body["password"], token))
            if progress is not None:
                progress(f"enrolled client {i + 1}/{clients}")
        skus = []
        for _ in range(products):
            sku = f"LOAD-{uuid.uuid4().hex[:12].upper()}"
            # a 409 after a 503: the first try had made it (the sku is this run's)
            _checked(_send(http, "POST", "/v1/products", headers=admin,
                           json={"sku": sku, "name": "Load test mug", "price_cents": 500,
                                 "stock": STOCK}), "POST /v1/products", also=(409,))
            skus.append(sku)
    return Shop(tuple(made), tuple(skus))


@journey("browse", weight=9)
async def browse(ctx: JourneyContext) -> None:
    headers = ctx.data["headers"]
    async with ctx.step("list products"):
        ctx.expect(await ctx.http.get("/v1/products", headers=headers), 200)
    async with ctx.step("get product"):
        ctx.expect(await ctx.http.get(f"/v1/products/{ctx.data['sku']}", headers=headers), 200)


@journey("product", weight=1)
async def product(ctx: JourneyContext) -> None:
    async with ctx.step("get product"):
        ctx.expect(await ctx.http.get(f"/v1/products/{ctx.data['sku']}",
                                      headers=ctx.data["headers"]), 200)


@journey("login", weight=1)
async def login(ctx: JourneyContext) -> None:
    async with ctx.step("token"):
        response = await ctx.http.post(
            "/v1/auth/token", headers={"X-Api-Key": ctx.data["headers"]["X-Api-Key"]},
            json={"username": ctx.data["username"], "password": ctx.data["password"]})
        ctx.expect(response, 200)


@journey("order", weight=1)
async def order(ctx: JourneyContext) -> None:
    headers = {**ctx.data["headers"], "Idempotency-Key": uuid.uuid4().hex}
    async with ctx.step("place order"):
        response = ctx.expect(await ctx.http.post(
            "/v1/orders", headers=headers,
            json={"items": [{"sku": ctx.data["sku"], "quantity": 1}]}), 201)
        order_id = response.json()["id"]
    async with ctx.step("paid"):
        deadline = time.monotonic() + PAID_WITHIN_S
        while True:
            seen = await ctx.http.get(f"/v1/orders/{order_id}", headers=ctx.data["headers"])
            status = seen.json().get("status") if seen.status_code == 200 else None
            if status == "paid":
                return
            if status in TERMINAL:
                ctx.fail(f"order {status}")
            if time.monotonic() > deadline:
                ctx.fail(f"not paid within {PAID_WITHIN_S:g} s")
            await asyncio.sleep(POLL_S)  # the order's status is polled, as a client would
