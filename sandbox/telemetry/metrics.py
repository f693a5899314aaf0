"""``sandbox.metrics``: PromQL against Prometheus's HTTP API, typed answers.

>>> sandbox.metrics.query('sum(rate(http_requests_total[1m]))')      # doctest: +SKIP
[Sample(metric={}, value=3.2, time=1714550000.0)]
>>> sandbox.metrics.value('up{service="catalog"}')                    # doctest: +SKIP
1.0

A query Prometheus refuses (bad PromQL) raises ``QueryRefused`` with Prometheus's message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from sandbox.telemetry.errors import QueryRefused, TelemetryUnavailable
from sandbox.telemetry.http import BaseUrl, JsonApi

PROMETHEUS_FIX = "check it with `sandbox status` and `sandbox logs prometheus`"


@dataclass(frozen=True)
class Sample:
    """One series' value at one time (an instant vector's element, or a scalar)."""

    metric: dict[str, str]
    value: float
    time: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: ``points`` are ``(time, value)``."""

    metric: dict[str, str]
    points: tuple[tuple[float, float], ...]

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points]


def _number(text: Any) -> float:
    try:
        return float(text)  # Prometheus writes "NaN", "+Inf", "-Inf" too
    except (TypeError, ValueError):
        return math.nan


def _seconds(when: datetime | float) -> float:
    return when.timestamp() if isinstance(when, datetime) else float(when)


class Metrics:
    """Instant and range queries, ``/federate`` for a snapshot."""

    def __init__(self, base_url: BaseUrl, client: httpx.Client | None = None,
                 timeout: float = 10.0) -> None:
        self.api = JsonApi(base_url, "Prometheus", PROMETHEUS_FIX, client, timeout)

    def _data(self, path: str, params: dict[str, Any], promql: str) -> dict[str, Any]:
        response = self.api.get(path, params)
        doc = self.api.json(response)
        if not isinstance(doc, dict):
            raise TelemetryUnavailable(f"Prometheus answered {path} with {type(doc).__name__}",
                                       PROMETHEUS_FIX)
        if doc.get("status") != "success":
            kind, message = doc.get("errorType", "error"), doc.get("error", response.text)
            if response.status_code in (400, 422):
                raise QueryRefused(f"Prometheus refused {promql!r}: {kind}: {message}",
                                   "correct the PromQL (https://prometheus.io/docs/prometheus/"
                                   "latest/querying/basics/)")
            raise TelemetryUnavailable(f"Prometheus failed on {promql!r}: {kind}: {message}",
                                       PROMETHEUS_FIX)
        return doc.get("data") or {}

    def query(self, promql: str, at: datetime | float | None = None) -> list[Sample]:
        """An instant query; a scalar comes as one ``Sample`` with no labels."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = _seconds(at)
        data = self._data("/api/v1/query", params, promql)
        kind, result = data.get("resultType"), data.get("result")
        if kind in ("scalar", "string"):
            ts, value = result or (0, "NaN")
            return [Sample({}, _number(value), float(ts))]
        if kind == "matrix":
            raise QueryRefused(f"{promql!r} is a range vector, not an instant one",
                               "wrap it in a function such as rate(), or use query_range")
        return [Sample(dict(r.get("metric") or {}), _number(r["value"][1]), float(r["value"][0]))
                for r in result or []]

    def value(self, promql: str) -> float | None:
        """The one value of an instant query: ``None`` when empty, ``QueryRefused`` when
        it gives several series."""
        samples = self.query(promql)
        if len(samples) > 1:
            raise QueryRefused(f"{promql!r} gives {len(samples)} series, not one",
                               "aggregate it (sum, max, ...) or select one series")
        return samples[0].value if samples else None

    def query_range(self, promql: str, start: datetime | float, end: datetime | float,
                    step: float | timedelta = 5.0) -> list[Series]:
        step_s = step.total_seconds() if isinstance(step, timedelta) else float(step)
        params = {"query": promql, "start": _seconds(start), "end": _seconds(end),
                  "step": step_s}
        data = self._data("/api/v1/query_range", params, promql)
        return [Series(dict(r.get("metric") or {}),
                       tuple((float(t), _number(v)) for t, v in r.get("values") or []))
                for r in data.get("result") or []]

    def federate(self, match: tuple[str, ...] = ('{job=~".+"}',)) -> str:
        """Every current sample of the matched series, in Prometheus's text format."""
        response = self.api.get("/federate", [("match[]", m) for m in match])
        if response.status_code != 200:
            raise TelemetryUnavailable(f"Prometheus answered /federate with "
                                       f"{response.status_code}", PROMETHEUS_FIX)
        return response.text
