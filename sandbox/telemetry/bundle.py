"""The run's telemetry bundle: what the stores hold of a time window, as files.

    telemetry/
      index.json                   run, window, every file with what it holds, notes
      spans/<service>.otlp.json    api_v3 OTLP JSON of the traces of each service
      alerts/prometheus.json       Prometheus's pending and firing alerts at the end
      alerts/alertmanager.json     Alertmanager's alerts at the end
      alerts/sink.json             every notification the alert sink received
      metrics/federate.txt         Prometheus's /federate: every series' last sample

Writing it never raises: a store that does not answer leaves a note in ``index.json``
(and in ``BundleReport.notes``) instead of its file.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox.telemetry.alerts import Alerts
from sandbox.telemetry.jaeger_query import JaegerQuery, rfc3339
from sandbox.telemetry.metrics import Metrics
from sandbox.telemetry.otlp_json import spans_from_otlp


@dataclass
class BundleSources:
    """The stores to read; ``None`` for one this run does not have."""

    traces: JaegerQuery | None = None
    metrics: Metrics | None = None
    alerts: Alerts | None = None


@dataclass
class BundleReport:
    directory: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        line = f"telemetry bundle: {self.directory} ({len(self.files)} files"
        if self.notes:
            line += f"; {len(self.notes)} missing: {self.notes[0]}"
            line += " ..." if len(self.notes) > 1 else ""
        return line + ")"


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "cause", None) or f"{type(exc).__name__}: {exc}"
    return " ".join(str(text).split())


class _Writer:
    def __init__(self, report: BundleReport) -> None:
        self.report = report

    def write(self, relative: str, content: str | Any, what: str, **facts: Any) -> None:
        path = self.report.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2, default=str)
        path.write_text(text, encoding="utf-8")
        self.report.files[relative] = {"what": what, **facts}

    def attempt(self, part: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the bundle never fails the run
            self.report.notes.append(f"{part}: {_reason(exc)}")


def _file_name(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", service) or "_"


def write_bundle(directory: Path, sources: BundleSources, start: float, end: float,
                 run_id: str | None = None) -> BundleReport:
    """Write the bundle of [start, end] (epoch seconds) into ``directory``."""
    report = BundleReport(directory)
    try:
        if (directory / "index.json").exists():  # an earlier run's bundle: replaced whole
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        report.notes.append(f"bundle: cannot create {directory}: {exc}")
        return report
    out = _Writer(report)

    def spans() -> None:
        store = sources.traces
        if store is None:
            raise LookupError("this run has no trace store")
        for service in store.services():
            doc = store.otlp_find(service, start, end)
            out.write(f"spans/{_file_name(service)}.otlp.json", doc,
                      f"OTLP JSON (api_v3) of the traces of {service}",
                      spans=len(spans_from_otlp(doc)))

    def alerts() -> None:
        if sources.alerts is None:
            raise LookupError("this run has no Prometheus/Alertmanager")
        out.attempt("alerts (Prometheus)", lambda: out.write(
            "alerts/prometheus.json", sources.alerts.prometheus_alerts(),
            "Prometheus's pending and firing alerts at the end"))
        out.attempt("alerts (Alertmanager)", lambda: out.write(
            "alerts/alertmanager.json", sources.alerts.alertmanager_alerts(),
            "Alertmanager's alerts at the end"))

        def sink() -> None:
            received = sources.alerts.received() if sources.alerts.sink else None
            if received is None:
                raise LookupError("this run's alert sink cannot be read")
            out.write("alerts/sink.json", [asdict(n) for n in received],
                      "the notifications the alert sink received", alerts=len(received))

        out.attempt("alerts (sink)", sink)

    def metrics() -> None:
        if sources.metrics is None:
            raise LookupError("this run has no Prometheus")
        text = sources.metrics.federate()
        out.write("metrics/federate.txt", text, "Prometheus /federate: every series' last sample",
                  series=sum(1 for line in text.splitlines() if line and line[0] != "#"))

    out.attempt("spans", spans)
    out.attempt("alerts", alerts)
    out.attempt("metrics", metrics)
    index = {"run_id": run_id, "window": {"start": rfc3339(start), "end": rfc3339(end)},
             "files": report.files, "notes": report.notes}
    try:
        (directory / "index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    except OSError as exc:
        report.notes.append(f"index: {exc}")
    return report


BUNDLE_QUERY_TIMEOUT_S = 120.0


def sources_of(sandbox: Any) -> BundleSources:
    """The stores of a ``Sandbox`` (an object without them gives ``None`` for each)."""
    from sandbox.telemetry.endpoints import alerts_for, metrics_for, traces_for

    def made(factory: Callable[[Any], Any]) -> Any:
        try:
            return factory(sandbox)
        except Exception:  # noqa: BLE001 - a handle that cannot be made: noted as missing
            return None

    # a whole run's traces of a service are many: the store may take a while to answer
    traces = made(lambda sb: traces_for(sb, timeout=BUNDLE_QUERY_TIMEOUT_S))
    return BundleSources(traces.store if traces else None, made(metrics_for), made(alerts_for))
