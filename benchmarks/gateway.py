"""Gateway benchmark: requests/s of GET /v1/products/{sku} through the running sandbox's
gateway, for several gateway configurations swapped in by `nginx -s reload` in the same
containers, interleaved round by round.

    .venv/bin/sandbox up && .venv/bin/python benchmarks/gateway.py [--seconds 8 --rounds 3]

Configurations: the gateway template of each git revision given with `--compare` (default
`main`), then this checkout's. Measured on the issue-8 branch (docs/benchmarks.md): `main`
(limit per presented key in /v1/, proxied from that location, names resolved per request),
the route table (auth, then `try_files` to a named location whose limit_req keys on the
verified client), and this checkout (the same, with kept-alive `upstream` blocks).

Each worker thread is its own enrolled client (so the per-client limit does not cut in) on
one kept-alive connection. Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import httpx

from fixtures.gateway_client import Credentials, GatewayClient, enrol
from sandbox.runtime.engine import Sandbox

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = "/etc/sandbox/nginx"
SUBSTITUTED = ("PRIVATE_SUBNET", "AUTH_UPSTREAM", "MONOLITH_UPSTREAM", "CATALOG_UPSTREAM",
               "PAYMENTS_UPSTREAM", "WEBHOOKS_UPSTREAM")


def install(sandbox: Sandbox, template: str) -> None:
    """Render `template` in the gateway container as its entrypoint does, and reload nginx."""
    container = sandbox.container("gateway")
    data = template.encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("bench.conf.template")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    container.put_archive("/tmp", archive.getvalue())
    names = " ".join(f"${{{n}}}" for n in SUBSTITUTED)
    script = (f"envsubst '{names}' < /tmp/bench.conf.template > {CONF_DIR}/gateway.conf && "
              f"nginx -t -q -c {CONF_DIR}/nginx.conf && nginx -c {CONF_DIR}/nginx.conf -s reload")
    code, output = container.exec_run(["sh", "-c", script])
    if code != 0:
        raise SystemExit(f"the gateway refused the configuration: {output.decode()[-500:]}")
    time.sleep(1.5)  # old workers finish


def load(clients: list[GatewayClient], path: str, seconds: float) -> tuple[float, dict[int, int]]:
    """Requests/s of all clients together, one thread each, and the statuses seen."""
    counts: dict[int, int] = {}
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def run(client: GatewayClient) -> None:
        headers = {"X-Api-Key": client.credentials.api_key,
                   "Authorization": f"Bearer {client.token}"}
        seen: dict[int, int] = {}
        with httpx.Client(base_url=client.http.base_url, headers=headers, timeout=10) as http:
            while time.monotonic() < stop:
                status = http.get(path).status_code
                seen[status] = seen.get(status, 0) + 1
        with lock:
            for status, n in seen.items():
                counts[status] = counts.get(status, 0) + n

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts.values()) / (time.monotonic() - start), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--compare", nargs="*", default=["main"],
                        help="git revisions whose gateway template to measure too")
    args = parser.parse_args()

    sandbox = Sandbox.attach()
    admin = GatewayClient(sandbox.url("gateway"), Credentials(
        api_key=sandbox.secret("auth/admin_api_key"), username="admin",
        password=sandbox.secret("auth/admin_password")))
    sku = f"B-{int(time.time())}"
    created = admin.post("/v1/products", json={"sku": sku, "name": "bench", "price_cents": 1,
                                               "stock": 1})
    assert created.status_code in (200, 201), created.text
    clients = [GatewayClient(sandbox.url("gateway"), enrol(admin)) for _ in range(args.workers)]
    after = (ROOT / "compose/nginx/gateway.conf.template").read_text()
    variants = {rev: subprocess.run(["git", "show", f"{rev}:compose/nginx/gateway.conf.template"],
                                    cwd=ROOT, capture_output=True, text=True, check=True).stdout
                for rev in args.compare}
    variants["this checkout"] = after
    rates: dict[str, list[float]] = {name: [] for name in variants}
    statuses: dict[str, dict[int, int]] = {name: {} for name in variants}
    try:
        for _ in range(args.rounds):
            for name, template in variants.items():
                install(sandbox, template)
                load(clients, f"/v1/products/{sku}", 1.0)  # warm-up: caches, connections
                rate, counts = load(clients, f"/v1/products/{sku}", args.seconds)
                rates[name].append(rate)
                for status, n in counts.items():
                    statuses[name][status] = statuses[name].get(status, 0) + n
    finally:
        install(sandbox, after)
    print(f"GET /v1/products/{{sku}}, {args.workers} clients x 1 connection, "
          f"{args.rounds} rounds x {args.seconds:g} s, interleaved\n")
    print("| gateway | requests/s (median) | rounds | statuses |")
    print("| --- | --- | --- | --- |")
    for name in variants:
        print(f"| {name} | {statistics.median(rates[name]):.0f} | "
              f"{', '.join(f'{r:.0f}' for r in rates[name])} | {statuses[name]} |")


if __name__ == "__main__":
    main()
