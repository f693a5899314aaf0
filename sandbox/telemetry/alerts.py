"""``sandbox.alerts``: an alert fires (and resolves) per Prometheus, Alertmanager and the sink.

    wait_for("HighErrorRate")   Prometheus: firing  ->  Alertmanager: active  ->  the sink
                                received a firing notification since it became active
    resolved("HighErrorRate")   Prometheus: neither pending nor firing  ->  Alertmanager: not
                                active  ->  the sink received a resolved notification after
                                its last firing one (send_resolved)

>>> firing = sandbox.alerts.wait_for("HighErrorRate", within=120)     # doctest: +SKIP
>>> firing.notification.received_at                                    # doctest: +SKIP
'2025-01-01T10:00:07.120+00:00'

``notified=False`` (or a handle without a sink) stops at Alertmanager. On timeout an
``AssertionError`` says what each of the three last showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.telemetry.alert_sink import AlertSink, SinkNotification
from sandbox.telemetry.errors import TelemetryUnavailable
from sandbox.telemetry.http import BaseUrl, JsonApi
from sandbox.telemetry.polling import Poller
from sandbox.telemetry.timestamps import epoch

SKEW_S = 1.0  # the sink's clock (PostgreSQL) against Alertmanager's: one kernel, one clock


@dataclass(frozen=True)
class AlertFiring:
    name: str
    labels: Mapping[str, Any]
    prometheus: Mapping[str, Any]
    alertmanager: Mapping[str, Any] | None
    notification: SinkNotification | None


@dataclass(frozen=True)
class AlertResolved:
    name: str
    firing: SinkNotification | None
    notification: SinkNotification | None


def _has(labels: Mapping[str, Any], name: str, wanted: Mapping[str, str]) -> bool:
    return labels.get("alertname") == name and all(
        str(labels.get(k)) == str(v) for k, v in wanted.items())


class Alerts:
    """Alert state in Prometheus (``/api/v1/alerts``), Alertmanager (``/api/v2/alerts``)
    and what the sink received."""

    def __init__(self, prometheus: BaseUrl, alertmanager: BaseUrl, sink: AlertSink | None,
                 client: httpx.Client | None = None, poller: Poller | None = None) -> None:
        self.prom = JsonApi(prometheus, "Prometheus",
                            "check it with `sandbox status` and `sandbox logs prometheus`", client)
        self.am = JsonApi(alertmanager, "Alertmanager",
                          "check it with `sandbox status` and `sandbox logs alertmanager`", client)
        self.sink = sink
        self.poller = poller or Poller(interval=1.0)

    def prometheus_alerts(self) -> list[dict[str, Any]]:
        """Prometheus's pending and firing alerts: labels, annotations, state, activeAt."""
        response = self.prom.get("/api/v1/alerts")
        doc = self.prom.json(response)
        if response.status_code != 200 or doc.get("status") != "success":
            raise TelemetryUnavailable(f"Prometheus answered /api/v1/alerts with "
                                       f"{response.status_code}", self.prom.fix)
        return list((doc.get("data") or {}).get("alerts") or [])

    def alertmanager_alerts(self) -> list[dict[str, Any]]:
        """Alertmanager's alerts: labels, startsAt, endsAt, status.state, receivers."""
        response = self.am.get("/api/v2/alerts")
        doc = self.am.json(response)
        if response.status_code != 200 or not isinstance(doc, list):
            raise TelemetryUnavailable(f"Alertmanager answered /api/v2/alerts with "
                                       f"{response.status_code}", self.am.fix)
        return doc

    def received(self, name: str | None = None) -> list[SinkNotification]:
        """What the sink received (newest first); ``[]`` when this handle has no sink."""
        return self.sink.received(name) if self.sink is not None else []

    # --- waiting ------------------------------------------------------------------------

    def _look(self, name: str, labels: Mapping[str, str], notified: bool
              ) -> tuple[dict[str, Any] | None, dict[str, Any] | None,
                         list[SinkNotification] | None, list[str]]:
        """(Prometheus's alert, Alertmanager's active alert, the sink's notifications of it,
        what could not be read)."""
        trouble = []
        prom = am = None
        notes: list[SinkNotification] | None = None
        try:
            prom = next((a for a in self.prometheus_alerts()
                         if _has(a.get("labels") or {}, name, labels)), None)
        except TelemetryUnavailable as exc:
            trouble.append(exc.cause)
        try:
            am = next((a for a in self.alertmanager_alerts()
                       if _has(a.get("labels") or {}, name, labels)
                       and (a.get("status") or {}).get("state", "active") == "active"), None)
        except TelemetryUnavailable as exc:
            trouble.append(exc.cause)
        if notified and self.sink is not None:
            try:
                notes = [n for n in self.received(name) if _has(
                    {**n.labels, "alertname": n.alertname}, name, labels)]
            except TelemetryUnavailable as exc:
                trouble.append(exc.cause)
        return prom, am, notes, trouble

    def wait_for(self, name: str, within: float = 120.0,
                 labels: Mapping[str, str] | None = None, notified: bool = True) -> AlertFiring:
        """Until ``name`` fires in Prometheus and Alertmanager and (``notified``) the sink
        received its firing notification; returns what each showed."""
        wanted = dict(labels or {})
        seen: dict[str, Any] = {}

        def check() -> tuple[bool, AlertFiring | None]:
            prom, am, notes, trouble = self._look(name, wanted, notified)
            seen.update(prom=prom, am=am, notes=notes, trouble=trouble)
            if not prom or prom.get("state") != "firing" or am is None:
                return False, None
            since = epoch(am.get("startsAt")) or 0.0
            note = None
            if notified and self.sink is not None:
                note = next((n for n in notes or [] if n.status == "firing"
                             and (epoch(n.received_at) or 0.0) >= since - SKEW_S), None)
                if note is None:
                    return False, None
            return True, AlertFiring(name, prom.get("labels") or {}, prom, am, note)

        done, firing, attempts = self.poller.until(check, within)
        if done and firing is not None:
            return firing
        raise AssertionError(self._explain(f"alert {name} is not firing", within, attempts,
                                           seen, "firing"))

    def resolved(self, name: str, within: float = 120.0,
                 labels: Mapping[str, str] | None = None, notified: bool = True
                 ) -> AlertResolved:
        """Until ``name`` is neither pending nor firing in Prometheus, not active in
        Alertmanager and (``notified``) the sink received a resolved notification after
        its last firing one."""
        wanted = dict(labels or {})
        seen: dict[str, Any] = {}

        def check() -> tuple[bool, AlertResolved | None]:
            prom, am, notes, trouble = self._look(name, wanted, notified)
            seen.update(prom=prom, am=am, notes=notes, trouble=trouble)
            if trouble or prom is not None or am is not None:
                return False, None
            if not notified or self.sink is None:
                return True, AlertResolved(name, None, None)
            firing = next((n for n in notes or [] if n.status == "firing"), None)
            done = next((n for n in notes or [] if n.status == "resolved"
                         and firing is not None and n.id > firing.id), None)
            return done is not None, AlertResolved(name, firing, done)

        ok, result, attempts = self.poller.until(check, within)
        if ok and result is not None:
            return result
        raise AssertionError(self._explain(f"alert {name} is not resolved", within, attempts,
                                           seen, "resolved"))

    def _explain(self, head: str, within: float, attempts: int, seen: dict[str, Any],
                 want: str) -> str:
        prom, am, notes = seen.get("prom"), seen.get("am"), seen.get("notes")
        lines = [f"{head} after {within:g} s ({attempts} polls)"]
        lines.append("  Prometheus:   " + (
            f"{prom.get('state')} since {prom.get('activeAt')} (value {prom.get('value')})"
            if prom else "not pending, not firing"))
        lines.append("  Alertmanager: " + (
            f"active since {am.get('startsAt')}, receivers "
            f"{[r.get('name') for r in am.get('receivers') or []]}" if am else "no active alert"))
        if self.sink is None:
            lines.append("  sink:         not read (this handle has no sink)")
        elif notes is not None:
            latest = ", ".join(f"{n.status} at {n.received_at}" for n in notes[:3]) or "nothing"
            lines.append(f"  sink:         received {latest} (waiting for a {want} one)")
        for cause in seen.get("trouble") or []:
            lines.append(f"  unreadable:   {cause}")
        return "\n".join(lines)
