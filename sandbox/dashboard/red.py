"""RED per service from Prometheus: request rate, 5xx ratio, p50 and p99 latency.

Read with ``Metrics.query_range`` over the last ``window_s`` (15 minutes), one point every
``step_s``. Rates use a 1-minute window; ``/metrics`` scrapes are left out, as in the alert
rules (compose/prometheus/alerts.yml). NaN and infinities (a ratio of no traffic, a
quantile of no request) become ``null``, so the JSON stays JSON.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sandbox.telemetry.metrics import Metrics

_SEL = 'route!="/metrics"'
QUERIES = {
    "rate": f"sum by (service) (rate(http_request_duration_seconds_count{{{_SEL}}}[1m]))",
    "errors": (f'sum by (service) (rate(http_requests_total{{status=~"5..",{_SEL}}}[1m]))'
               f" / sum by (service) (rate(http_requests_total{{{_SEL}}}[1m]))"),
    "p50": ("histogram_quantile(0.5, sum by (service, le) "
            f"(rate(http_request_duration_seconds_bucket{{{_SEL}}}[1m])))"),
    "p99": ("histogram_quantile(0.99, sum by (service, le) "
            f"(rate(http_request_duration_seconds_bucket{{{_SEL}}}[1m])))"),
}
UNITS = {"rate": "req/s", "errors": "ratio", "p50": "s", "p99": "s"}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def red_series(metrics: Metrics, window_s: float = 900.0, step_s: float = 15.0,
               now: float | None = None) -> dict[str, Any]:
    """``{"services": {svc: {"rate": [[t, v], ...], "errors": ..., "p50": ..., "p99": ...}}}``
    plus the window; a service with no series of a metric gets ``[]`` for it."""
    end = time.time() if now is None else now
    start = end - window_s
    services: dict[str, dict[str, list[list[float | None]]]] = {}
    for key, promql in QUERIES.items():
        for series in metrics.query_range(promql, start, end, step_s):
            name = series.metric.get("service", "")
            row = services.setdefault(name, {k: [] for k in QUERIES})
            row[key] = [[t, _finite(v)] for t, v in series.points]
    return {"start": start, "end": end, "step_s": step_s, "window_s": window_s,
            "units": UNITS, "queries": QUERIES,
            "services": dict(sorted(services.items()))}
