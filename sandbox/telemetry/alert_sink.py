"""What the alert sink (the webhooks service's ``/internal/alerts``) received.

The sink stores every alert of each Alertmanager notification and lists them, newest
first, on ``GET /internal/alerts?alertname=&limit=`` to the bearer of the sink token. It
answers only peers on the private network, so from the host it is read from inside a
container that is one (Alertmanager's own, with the token file Alertmanager sends with):
``ContainerAlertSink``. ``HttpAlertSink`` reads it where it is reachable directly.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from sandbox.telemetry.errors import TelemetryUnavailable

SINK_FIX = "check it with `sandbox logs webhooks` and `sandbox logs alertmanager`"


@dataclass(frozen=True)
class SinkNotification:
    """One alert of one notification as the sink stored it."""

    id: int
    alertname: str | None
    status: str | None  # firing | resolved
    labels: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, Any] = field(default_factory=dict)
    starts_at: str | None = None
    received_at: str | None = None
    receiver: str | None = None


class AlertSink(Protocol):
    """Reads what the sink received, newest first."""

    def received(self, alertname: str | None = None) -> list[SinkNotification]: ...


def parse_sink(doc: Any) -> list[SinkNotification]:
    """The sink's ``{"items": [...]}`` answer."""
    items = doc.get("items") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        raise TelemetryUnavailable("the alert sink answered without an items list", SINK_FIX)
    return [
        SinkNotification(int(i.get("id", 0)), i.get("alertname"), i.get("status"),
                         i.get("labels") or {}, i.get("annotations") or {}, i.get("starts_at"),
                         i.get("received_at"), i.get("receiver"))
        for i in items if isinstance(i, Mapping)
    ]


def _query(alertname: str | None) -> str:
    params: dict[str, Any] = {"limit": 1000}
    if alertname:
        params["alertname"] = alertname
    return urlencode(params)


class HttpAlertSink:
    """The sink read over HTTP with its token (where the caller is on its network)."""

    def __init__(self, url: str, token: str, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._client = client or httpx.Client(timeout=5.0)

    def received(self, alertname: str | None = None) -> list[SinkNotification]:
        url = f"{self.url}?{_query(alertname)}"
        try:
            response = self._client.get(url, headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise TelemetryUnavailable(
                f"the alert sink does not answer at {self.url} ({type(exc).__name__})", SINK_FIX
            ) from None
        if response.status_code != 200:
            raise TelemetryUnavailable(
                f"the alert sink answered {response.status_code} at {self.url}", SINK_FIX)
        return parse_sink(response.json())


class Executes(Protocol):
    def exec(self, service: str, cmd: list[str]) -> tuple[int, str]: ...


class ContainerAlertSink:
    """The sink read with curl from inside ``via`` (a container on the private network
    holding the token file); the token never leaves the container."""

    def __init__(self, sandbox: Executes, via: str = "alertmanager",
                 url: str = "http://webhooks:8000/internal/alerts",
                 token_file: str = "/run/secrets/alerts/sink_token") -> None:
        self._sandbox = sandbox
        self.via = via
        self.url = url
        self.token_file = token_file

    def command(self, alertname: str | None) -> list[str]:
        target = shlex.quote(f"{self.url}?{_query(alertname)}")
        header = f'"Authorization: Bearer $(cat {shlex.quote(self.token_file)})"'
        return ["sh", "-c", f"curl -sS -m 5 -w '\\n%{{http_code}}' -H {header} {target}"]

    def received(self, alertname: str | None = None) -> list[SinkNotification]:
        try:
            code, output = self._sandbox.exec(self.via, self.command(alertname))
        except Exception as exc:  # noqa: BLE001 - docker errors of every kind: one line
            raise TelemetryUnavailable(
                f"cannot read the alert sink from {self.via} ({type(exc).__name__}: {exc})",
                SINK_FIX,
            ) from None
        body, _, status = output.rstrip().rpartition("\n")
        if code != 0 or status.strip() != "200":
            raise TelemetryUnavailable(
                f"the alert sink answered {status.strip() or code} to {self.via} "
                f"({body.strip()[:160] or 'no body'})", SINK_FIX)
        try:
            return parse_sink(json.loads(body))
        except ValueError:
            raise TelemetryUnavailable("the alert sink answered without JSON", SINK_FIX) from None
