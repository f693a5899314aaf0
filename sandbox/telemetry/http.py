"""The HTTP side shared by the query clients: a base URL resolved late, JSON, clear errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from sandbox.telemetry.errors import TelemetryUnavailable

BaseUrl = str | Callable[[], str]


class JsonApi:
    """GETs against ``base_url`` (a URL, or a function giving it, so a handle can be made
    before the store runs). Transport failures become ``TelemetryUnavailable`` naming
    ``what`` and ``fix``."""

    def __init__(self, base_url: BaseUrl, what: str, fix: str,
                 client: httpx.Client | None = None, timeout: float = 5.0) -> None:
        self._base_url = base_url
        self.what = what
        self.fix = fix
        self._client = client or httpx.Client(timeout=timeout)

    @property
    def base_url(self) -> str:
        url = self._base_url() if callable(self._base_url) else self._base_url
        return url.rstrip("/")

    def get(self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None
            ) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            return self._client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise TelemetryUnavailable(
                f"{self.what} does not answer at {url} ({type(exc).__name__})", self.fix
            ) from None

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TelemetryUnavailable(
                f"{self.what} answered {response.status_code} without JSON at {response.url}",
                self.fix,
            ) from None
