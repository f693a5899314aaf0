"""Tracing cost: CPU per request of a service with OpenTelemetry against the same service
without it, on the same request path, in the same container, interleaved round by round.

    .venv/bin/sandbox up && .venv/bin/python benchmarks/tracing_cost.py [--requests 3000 --rounds 4]

Twins of the catalog service are started inside the running catalog container (its
image, its environment, its database and cache links): one as the services run
(`OTEL_SDK_DISABLED` unset: server span, the Redis client span, batched OTLP/JSON export
to the trace store), one with `OTEL_SDK_DISABLED=true` (no provider, no instrumentation),
and one that makes the spans but exports none (where the time goes). A
client in the same container sends `GET /internal/products/{sku}` (a cache hit: the read
the monolith makes when it prices an order) with a fresh `traceparent` each, as the
gateway's would be, over one kept-alive connection, to each twin in turn. The cost is each
twin's own CPU time (utime + stime of its process, the exporter's thread included) per
request. Prints Markdown; `--write docs/benchmarks.md` replaces the tracing section there.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

from fixtures.gateway_client import Credentials, GatewayClient
from sandbox.runtime.engine import Sandbox

BEGIN, END = "<!-- tracing:begin -->", "<!-- tracing:end -->"
TWINS = {"traced": 8101, "untraced": 8100, "unexported": 8102}
ENV = {"traced": "", "untraced": "OTEL_SDK_DISABLED=true ",
       "unexported": "OTEL_EXPORTER_OTLP_ENDPOINT= "}  # spans made, never exported
TARGET = 0.10  # at most 10 % more CPU per request

# runs inside the catalog container: waits for both twins, then measures the rounds
LOADER = r"""
import json, os, secrets, sys, time
import httpx
sku, requests_per_round, rounds, twins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
pids = {name: int(open(f"/tmp/twin-{name}.pid").read()) for name in twins}
clients = {name: httpx.Client(base_url=f"http://catalog:{port}", timeout=10) for name, port in twins.items()}
deadline = time.monotonic() + 60
for name, client in clients.items():
    while True:
        try:
            if client.get("/health/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"twin {name} did not become ready within 60 s")
        time.sleep(0.1)
def burst(name, count):
    client, failed = clients[name], 0
    for _ in range(count):
        parent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        if client.get(f"/internal/products/{sku}", headers={"traceparent": parent}).status_code != 200:
            failed += 1
    return failed
for name in twins:
    burst(name, 200)  # warm: imports, connections, the cache entry
results = []
for r in range(rounds):
    order = list(twins)[r % len(twins):] + list(twins)[:r % len(twins)]
    for name in order:
        before, started = cpu(pids[name]), time.monotonic()
        failed = burst(name, requests_per_round)
        results.append({"round": r, "twin": name, "cpu_s": cpu(pids[name]) - before,
                        "wall_s": time.monotonic() - started, "failed": failed})
print(json.dumps(results))
"""


def start_twins(sandbox: Sandbox) -> None:
    container = sandbox.container("catalog")
    for name, port in TWINS.items():
        script = (f"echo $$ > /tmp/twin-{name}.pid; exec env {ENV[name]}HTTP_PORT={port} "
                  f"python3 -m services.catalog > /tmp/twin-{name}.log 2>&1")
        container.exec_run(["sh", "-c", script], detach=True)


def stop_twins(sandbox: Sandbox) -> None:
    script = " ; ".join(f"kill $(cat /tmp/twin-{name}.pid) 2>/dev/null" for name in TWINS)
    sandbox.container("catalog").exec_run(["sh", "-c", script + " ; true"])


def product(sandbox: Sandbox) -> str:
    """A product to read, made through the gateway by the admin."""
    admin = GatewayClient(sandbox.url("gateway", 8080), Credentials(
        api_key=sandbox.secret("auth/admin_api_key"), username="admin",
        password=sandbox.secret("auth/admin_password")))
    sku = f"BENCH-{uuid.uuid4().hex[:10].upper()}"
    response = admin.post("/v1/products", json={"sku": sku, "name": "Benchmark mug",
                                                "price_cents": 1000, "stock": 10})
    admin.close()
    if response.status_code != 201:
        raise SystemExit(f"could not create the benchmark's product: {response.status_code} "
                         f"{response.text[:200]}")
    return sku


def measure(sandbox: Sandbox, requests: int, rounds: int) -> list[dict[str, float]]:
    sku = product(sandbox)
    start_twins(sandbox)
    try:
        code, output = sandbox.container("catalog").exec_run(
            ["python3", "-c", LOADER, sku, str(requests), str(rounds), json.dumps(TWINS)])
        text = output.decode(errors="replace").strip()
        if code != 0:
            raise SystemExit(f"the load in the catalog container failed: {text[-800:]}")
        return json.loads(text.splitlines()[-1])
    finally:
        stop_twins(sandbox)


def report(results: list[dict[str, float]], requests: int, rounds: int) -> str:
    per = {name: [r["cpu_s"] / requests * 1e6 for r in results if r["twin"] == name]
           for name in TWINS}
    wall = {name: [requests / r["wall_s"] for r in results if r["twin"] == name]
            for name in TWINS}
    failed = sum(r["failed"] for r in results)
    ratios = [t / u for t, u in zip(per["traced"], per["untraced"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio - 1 <= TARGET and not failed else "NOT met"

    def cell(values: list[float], digits: int = 0) -> str:
        return (f"{statistics.median(values):.{digits}f} (min {min(values):.{digits}f}, "
                f"max {max(values):.{digits}f})")

    return "\n".join([
        (f"Command: `python benchmarks/tracing_cost.py --requests {requests} --rounds {rounds}`; "
        f"{time.strftime('%Y-%m-%d')}, 2 cores, {platform.machine()}."),
        "",
        (f"| `GET /internal/products/{{sku}}` (cache hit), {requests} requests x {rounds} rounds "
        "| CPU µs per request, median (min, max) | requests/s, one connection |"),
        "| --- | --- | --- |",
        (f"| traced (server span, Redis span, OTLP export) | {cell(per['traced'])} "
        f"| {cell(wall['traced'])} |"),
        (f"| untraced (`OTEL_SDK_DISABLED=true`) | {cell(per['untraced'])} "
        f"| {cell(wall['untraced'])} |"),
        (f"| spans made, not exported (no OTLP endpoint) | {cell(per['unexported'])} "
         f"| {cell(wall['unexported'])} |"),
        f"| traced / untraced, per round | {cell(ratios, 3)} | |",
        "",
        (f"Tracing adds **{(ratio - 1) * 100:.1f} %** CPU per request (target ≤ "
        f"{TARGET * 100:.0f} %): {verdict}. Failed requests: {failed}."),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per round and twin")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, alternating the order")
    parser.add_argument("--write", type=Path, help="replace the tracing section of this file")
    args = parser.parse_args()
    sandbox = Sandbox.attach()
    text = report(measure(sandbox, args.requests, args.rounds), args.requests, args.rounds)
    print(text)
    if args.write:
        doc = args.write.read_text()
        if BEGIN not in doc:
            raise SystemExit(f"{args.write} has no {BEGIN} ... {END} section")
        head, rest = doc.split(BEGIN, 1)
        args.write.write_text(f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
