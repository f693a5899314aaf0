"""A client of Jaeger's query API (the project's trace store, or a real Jaeger all-in-one).

    /api/services                    service names
    /api/traces/{id}                 one trace (Jaeger JSON)
    /api/traces?service=&operation=&tags=&start=&end=&limit=    search (Jaeger JSON)
    /api/v3/traces/{id}              one trace (OTLP JSON)
    /api/v3/traces?query.service_name=&query.start_time_min=&query.start_time_max=

>>> store = JaegerQuery("http://127.0.0.1:16686")           # doctest: +SKIP
>>> trace = store.trace("4bf92f3577b34da6a3ce929d0e0e4736")  # a Trace, or None
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.telemetry.errors import QueryRefused, TelemetryUnavailable
from sandbox.telemetry.http import BaseUrl, JsonApi
from sandbox.telemetry.jaeger_json import trace_from_jaeger
from sandbox.telemetry.model import Trace, normal_trace_id

STORE_FIX = "check it with `sandbox status` and `sandbox logs tracestore`"
_TRACE_ID = re.compile(r"^[0-9a-fA-F]{1,32}$")


def checked_trace_id(trace_id: str) -> str:
    """The id, normalised; ``QueryRefused`` unless it is 1 to 32 hex digits."""
    if not _TRACE_ID.match(trace_id.strip()):
        raise QueryRefused(
            f"{trace_id!r} is not a trace id",
            "give 32 hex digits (the X-Trace-Id header, or a log line's trace_id)",
        )
    return normal_trace_id(trace_id)


def _micros(when: datetime | float) -> int:
    return int((when.timestamp() if isinstance(when, datetime) else when) * 1e6)


def rfc3339(when: datetime | float) -> str:
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _errors(doc: Any) -> str:
    """Jaeger's ``errors: [{code, msg}]`` or api_v3's ``error: {message}``, as text."""
    if isinstance(doc, Mapping):
        errors = doc.get("errors") or []
        if errors:
            return "; ".join(str(e.get("msg", e)) for e in errors if isinstance(e, Mapping))
        error = doc.get("error")
        if isinstance(error, Mapping):
            return str(error.get("message", error))
    return ""


class JaegerQuery:
    """Typed reads of a Jaeger query service; ``base_url`` is its 16686 HTTP address."""

    def __init__(self, base_url: BaseUrl, client: httpx.Client | None = None,
                 timeout: float = 5.0) -> None:
        self.api = JsonApi(base_url, "the trace store", STORE_FIX, client, timeout)

    def _get(self, path: str, params: Any = None, missing_ok: bool = False) -> Any:
        response = self.api.get(path, params)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            text = ""
            try:
                text = _errors(response.json())
            except ValueError:
                text = response.text.strip()[:200]
            if 400 <= response.status_code < 500:
                raise QueryRefused(f"the trace store refused {path}: {response.status_code} "
                                   f"{text}".rstrip(), "check the query's parameters")
            raise TelemetryUnavailable(f"the trace store failed on {path}: "
                                       f"{response.status_code} {text}".rstrip(), STORE_FIX)
        return self.api.json(response)

    def services(self) -> list[str]:
        doc = self._get("/api/services")
        return sorted(str(s) for s in (doc or {}).get("data") or [])

    def trace(self, trace_id: str) -> Trace | None:
        """The trace, or ``None`` when the store has no span of it (yet)."""
        tid = checked_trace_id(trace_id)
        doc = self._get(f"/api/traces/{tid}", missing_ok=True)
        data = (doc or {}).get("data") or []
        if not data:
            return None
        trace = trace_from_jaeger(data[0])
        return trace if trace.spans else None

    def find(self, service: str, operation: str | None = None,
             tags: Mapping[str, Any] | None = None, start: datetime | float | None = None,
             end: datetime | float | None = None, limit: int = 20) -> list[Trace]:
        """Traces with a span of ``service`` (and ``operation``, ``tags``) in [start, end]."""
        params: dict[str, Any] = {"service": service, "limit": limit}
        if operation:
            params["operation"] = operation
        if tags:
            params["tags"] = json.dumps({k: str(v) for k, v in tags.items()})
        if start is not None:
            params["start"] = _micros(start)
        if end is not None:
            params["end"] = _micros(end)
        doc = self._get("/api/traces", params)
        return [trace_from_jaeger(t) for t in (doc or {}).get("data") or []]

    def otlp_trace(self, trace_id: str) -> dict[str, Any] | None:
        """api_v3's OTLP JSON of one trace, as served (``None`` if unknown)."""
        return self._get(f"/api/v3/traces/{checked_trace_id(trace_id)}", missing_ok=True)

    def otlp_find(self, service: str, start: datetime | float, end: datetime | float,
                  limit: int = 1000) -> dict[str, Any]:
        """api_v3's OTLP JSON of the traces of ``service`` that started in [start, end]."""
        params = {
            "query.service_name": service,
            "query.start_time_min": rfc3339(start),
            "query.start_time_max": rfc3339(end),
            "query.num_traces": limit,  # Jaeger 1.x
            "query.search_depth": limit,  # Jaeger 2.x
        }
        return self._get("/api/v3/traces", params, missing_ok=True) or {"resourceSpans": []}
