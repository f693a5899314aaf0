"""The live system as the verification drives it: through the gateway, as the admin and
as clients it enrols (the same calls the scenarios make)."""

from __future__ import annotations

from typing import Any

from fixtures.gateway_client import Credentials, GatewayClient, enrol

from .routes import ReplayFailed


class GatewaySystem:
    """Products, clients and orders made through the running sandbox's gateway."""

    def __init__(self, sandbox: Any) -> None:
        self._url = sandbox.url("gateway")
        self.admin = GatewayClient(self._url, Credentials(
            api_key=sandbox.secret("auth/admin_api_key"), username="admin",
            password=sandbox.secret("auth/admin_password")))
        self._clients: list[GatewayClient] = []

    def _client(self) -> GatewayClient:
        if not self._clients:
            self.issue_token()
        return self._clients[-1]

    def create_product(self, fields: dict[str, Any]) -> None:
        response = self.admin.post("/v1/products", json=fields)
        if response.status_code not in (200, 201, 409):  # 409: it exists already
            raise ReplayFailed(f"POST /v1/products: {response.status_code} "
                               f"{response.text[:200]}")

    def issue_token(self) -> tuple[str, str]:
        try:
            client = GatewayClient(self._url, enrol(self.admin))
            token = client.token
        except AssertionError as exc:  # the client helpers' way of saying "refused"
            raise ReplayFailed(str(exc)) from None
        self._clients.append(client)
        return client.credentials.api_key, token

    def create_order(self, sku: str) -> None:
        response = self._client().post("/v1/orders",
                                       json={"items": [{"sku": sku, "quantity": 1}]})
        if response.status_code != 201:
            raise ReplayFailed(f"POST /v1/orders: {response.status_code} {response.text[:200]}")

    def close(self) -> None:
        for client in [self.admin, *self._clients]:
            client.close()
