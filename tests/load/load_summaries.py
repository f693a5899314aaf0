"""Synthetic load-run summaries (``sandbox.load/1``, docs/load-summary.md) for the report's
tests: a realistic minute of two journeys with a fault in the middle, its baseline without
the fault, and the barest summary the engine could write.

    load_summary()       browse + order, 60 one-second windows, catalog->postgres latency
                         200ms from 20 s to 40 s; browse p99 SLO broken, the others kept
    baseline_summary()   the same run without the fault: every SLO kept
    empty_summary()      no window, no SLO, no fault, no error, no overhead
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

FAULT = "catalog->postgres latency 200ms"
FAULT_START, FAULT_END, DURATION = 20.0, 40.0, 60
# a journey's (or step's) latency with no fault, by percentile: 0..1 -> ms
QUANTILES = {"browse": ((0.0, 1.2), (0.5, 3.1), (0.9, 4.0), (0.95, 4.6), (0.99, 9.8),
                        (0.999, 14.0), (1.0, 16.0)),
             "order": ((0.0, 5.0), (0.5, 12.0), (0.9, 15.5), (0.95, 18.0), (0.99, 35.0),
                       (0.999, 52.0), (1.0, 61.0))}
STEPS = {"browse": (("list products", 0.4, False), ("get product", 0.6, True)),
         "order": (("add to cart", 0.35, True), ("checkout", 0.65, False))}
RATES = {"browse": 30, "order": 20}


def _log_odds(p: float) -> float:
    return math.log10(1 / (1 - min(p, 0.99999)))


def quantile(journey: str, p: float, scale: float = 1.0) -> float:
    """The fault-free latency at percentile ``p`` (0..1), interpolated on the log axis."""
    table = QUANTILES[journey]
    for (p0, v0), (p1, v1) in itertools.pairwise(table):
        if p <= p1:
            share = (_log_odds(p) - _log_odds(p0)) / ((_log_odds(p1) - _log_odds(p0)) or 1)
            return scale * (v0 + share * (v1 - v0))
    return scale * table[-1][1]


def _mixed(journey: str, p: float, scale: float, delay: float, share: float) -> float:
    """A run where ``share`` of the requests waited ``delay`` more (all slower than the rest)."""
    if share <= 0 or p < 1 - share:
        return quantile(journey, p / (1 - share) if share < 1 else p, scale)
    return quantile(journey, (p - (1 - share)) / share, scale) + delay


def _series(journey: str, step: str | None, scale: float, delay: float, rng: random.Random,
            faulty: bool) -> dict[str, Any]:
    windows, count, errors, dropped = [], 0, 0, 0
    for t in range(DURATION):
        in_fault = faulty and FAULT_START <= t < FAULT_END
        n = RATES[journey] - (3 if in_fault else 0)
        if faulty and journey == "order" and t == 31:
            n = 0  # every order of that second dropped: a gap in the charts
        extra = delay * rng.uniform(0.97, 1.06) if in_fault else 0.0
        noise = rng.uniform(0.9, 1.12)
        row: dict[str, Any] = {"t": float(t), "count": n, "errors": 0}
        for name, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
            row[name] = round(quantile(journey, p, scale) * noise + extra, 2) if n else None
        row["errors"] = (rng.randint(1, 3) if in_fault and n else 0) if delay else 0
        windows.append(row)
        count, errors = count + n, errors + row["errors"]
        dropped += RATES[journey] - n
    share = (FAULT_END - FAULT_START) / DURATION if faulty and delay else 0.0
    pcts = [100 * (1 - 0.5 ** (k / 4)) for k in range(54)] + [100.0]
    spectrum = [[round(p, 4), round(_mixed(journey, p / 100, scale, delay * 1.01, share), 2)]
                for p in pcts]
    at = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p99.9": 0.999, "max": 1.0}
    return {"journey": journey, "step": step, "count": count, "errors": errors,
            "dropped": dropped, "windows": windows, "spectrum": spectrum,
            "percentiles_ms": {k: round(_mixed(journey, p, scale, delay * 1.01, share), 2)
                               for k, p in at.items()}}


def _worst(series: dict[str, Any], metric: str, window_s: float) -> dict[str, float]:
    """The 10-second window with the highest ``metric`` (its windows' maximum)."""
    best = {"start_s": 0.0, "end_s": window_s, "value": -1.0}
    for start in range(0, DURATION, int(window_s)):
        values = [w[metric] for w in series["windows"]
                  if start <= w["t"] < start + window_s and w[metric] is not None]
        if values and max(values) > best["value"]:
            best = {"start_s": float(start), "end_s": start + window_s, "value": max(values)}
    return best


def _slo(series: dict[str, Any], metric: str, bound: float) -> dict[str, Any]:
    worst = _worst(series, metric, 10.0)
    name = series["journey"] + (f" {series['step']}" if series["step"] else "")
    passed = worst["value"] <= bound
    where = f"in the window {worst['start_s']:g}-{worst['end_s']:g} s"
    return {"name": f"{name} {metric} <= {bound:g} ms over 10 s windows",
            "journey": series["journey"], "step": series["step"], "metric": metric,
            "bound": bound, "unit": "ms", "window_s": 10.0, "passed": passed, "worst": worst,
            "message": f"{name} {metric} {worst['value']:.0f} ms "
                       f"{'<=' if passed else '>'} {bound:g} ms {where}"}


def load_summary(*, faulty: bool = True, seed: int = 7,
                 scenario: str = "steady browse and order",
                 started_at: str = "2026-12-03T11:00:00Z") -> dict[str, Any]:
    """A minute of browse (30/s) and order (20/s); with ``faulty`` a 200 ms database
    latency from 20 s to 40 s slows both, drops requests and brings 503s and timeouts."""
    rng = random.Random(seed)
    series: list[dict[str, Any]] = []
    for journey, steps in STEPS.items():
        delay = 200.0 if faulty else 0.0
        series.append(_series(journey, None, 1.0, delay, rng, faulty))
        for step, scale, hit in steps:
            series.append(_series(journey, step, scale, delay if hit else 0.0, rng, faulty))
    browse, order = series[0], series[3]
    rate: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for t in range(DURATION):  # what was sent, and the errors by kind: 503s, a few timeouts
        sent = browse["windows"][t]["count"] + order["windows"][t]["count"]
        rate.append({"t": float(t), "target": 50.0, "achieved": float(sent),
                     "dropped": 50 - sent})
        failed = browse["windows"][t]["errors"] + order["windows"][t]["errors"]
        timeouts = min(failed, 1 if t % 4 == 0 else 0)
        errors += [{"t": float(t), "kind": kind, "count": n}
                   for kind, n in (("http 503", failed - timeouts), ("timeout", timeouts)) if n]
    get_product = series[2]
    order_ratio = order["errors"] / max(order["count"], 1)
    achieved = sum(r["achieved"] for r in rate) / sum(r["target"] for r in rate)
    slos = [_slo(browse, "p99", 50.0), _slo(order, "p99", 800.0),
            _slo(get_product, "p95", 250.0),
            {"name": "order error ratio <= 5 %", "journey": "order", "step": None,
             "metric": "error_ratio", "bound": 0.05, "unit": "ratio", "window_s": None,
             "passed": order_ratio <= 0.05,
             "worst": {"start_s": 0.0, "end_s": float(DURATION), "value": order_ratio},
             "message": f"order error ratio {order_ratio:.2%} over the run"},
            {"name": "achieved rate >= 90 % of target", "journey": None, "step": None,
             "metric": "rate", "bound": 0.9, "unit": "ratio", "window_s": None,
             "passed": achieved >= 0.9,
             "worst": {"start_s": 0.0, "end_s": float(DURATION), "value": achieved},
             "message": f"achieved {achieved:.1%} of the target rate over the run"}]
    return {"schema": "sandbox.load/1", "scenario": scenario, "started_at": started_at,
            "duration_s": float(DURATION), "window_s": 1.0, "rate": rate, "series": series,
            "errors": errors,
            "faults": ([{"name": FAULT, "start_s": FAULT_START, "end_s": FAULT_END}]
                       if faulty else []),
            "slos": slos, "knee": None,
            "overhead": {"processes": 1, "cpu_s": 3.2, "cpu_per_request_us": 40.0,
                         "lateness_ms": {"p50": 0.1, "p99": 1.5, "max": 4.0}}}


def baseline_summary() -> dict[str, Any]:
    """The same scenario a day earlier, without the fault."""
    return load_summary(faulty=False, seed=3, started_at="2026-12-02T11:00:00Z")


def empty_summary() -> dict[str, Any]:
    """A run that measured nothing: the report must still render."""
    return {"schema": "sandbox.load/1", "scenario": "nothing ran",
            "started_at": "2026-12-03T11:00:00Z", "duration_s": 0.0, "window_s": 1.0,
            "rate": [], "series": [{"journey": "browse", "step": None, "count": 0,
                                    "errors": 0, "dropped": 0, "percentiles_ms": {},
                                    "spectrum": [], "windows": []}],
            "errors": [], "faults": [], "slos": [], "knee": None, "overhead": {}}
