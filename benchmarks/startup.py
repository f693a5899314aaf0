"""Startup benchmark: cold image build, warm `up` to all healthy, `down`, and leftovers.

Warm `up` (health-gated, independent containers in parallel) is compared, in the same run
and interleaved, with a baseline that starts the same containers one after another, each
once the previous one is healthy. Every `down` is followed by a count of what is left
carrying the run's labels.

    .venv/bin/python benchmarks/startup.py --rounds 3            # warm up/down only
    .venv/bin/python benchmarks/startup.py --rounds 3 --cold     # also a cold image build

`--cold` removes this project's images first (the download caches of debs and wheels in
the user's cache dir are kept, so it measures building, not downloading). Prints a
Markdown report; `--write docs/benchmarks.md` replaces the startup section there.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import docker

from sandbox.images import RECIPES, ensure_images
from sandbox.progress import SilentProgress
from sandbox.runtime import Sandbox

BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"


def remove_project_images(client: docker.DockerClient) -> int:
    """Remove the images that the builder made (label sandbox.recipe), newest first."""
    removed = 0
    for image in client.images.list(filters={"label": "sandbox.recipe"}):
        for tag in image.tags or [image.id]:
            try:
                client.images.remove(tag, force=True)
                removed += 1
            except docker.errors.APIError:
                pass
    return removed


def leftovers(client: docker.DockerClient, run_id: str) -> int:
    """Containers, networks and volumes still carrying the run's label."""
    flt = {"label": f"sandbox.run={run_id}"}
    return (
        len(client.containers.list(all=True, filters=flt))
        + len(client.networks.list(filters=flt))
        + len(client.volumes.list(filters=flt))
    )


def one_round(client: docker.DockerClient, sequential: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    sb = Sandbox.up(env="test", mode="session", progress=SilentProgress(), sequential=sequential)
    up = time.perf_counter() - t0
    containers = len(sb.status())
    t1 = time.perf_counter()
    sb.down()
    down = time.perf_counter() - t1
    return {"up": up, "down": down, "left": leftovers(client, sb.run_id), "containers": containers}


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each start order")
    parser.add_argument("--cold", action="store_true", help="also time a cold image build")
    parser.add_argument("--write", type=Path, help="replace the startup section of this file")
    args = parser.parse_args()
    client = docker.from_env()
    lines = []
    command = f"python benchmarks/startup.py --rounds {args.rounds}" + (
        " --cold" if args.cold else "")
    lines.append(f"Command: `{command}`; {time.strftime('%Y-%m-%d')}, "
                 f"{os.cpu_count()} cores, {platform.machine()}.")
    lines.append("")
    if args.cold:
        removed = remove_project_images(client)
        t0 = time.perf_counter()
        ensure_images(set(RECIPES), SilentProgress())
        cold = time.perf_counter() - t0
        lines.append(f"- Cold build of all {len(RECIPES)} images ({removed} image tags removed "
                     f"first; debs and wheels from the download cache): **{cold:.0f} s**")
    t0 = time.perf_counter()
    ensure_images(set(RECIPES), SilentProgress())
    lines.append(f"- No-op `images build` with nothing changed: "
                 f"**{time.perf_counter() - t0:.2f} s**")
    results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for i in range(args.rounds):
        for sequential in (False, True):  # interleaved: both see the same machine state
            r = one_round(client, sequential)
            results[sequential].append(r)
            kind = "sequential" if sequential else "parallel"
            print(f"round {i + 1} {kind}: up {r['up']:.1f} s, down {r['down']:.1f} s, "
                  f"left {r['left']}", file=sys.stderr)
    par, seq = results[False], results[True]
    par_up = [r["up"] for r in par]
    seq_up = [r["up"] for r in seq]
    downs = [r["down"] for r in par + seq]
    left = sum(r["left"] for r in par + seq)
    lines += [
        "",
        (f"| measure ({par[0]['containers']:.0f} containers, {args.rounds} rounds each) | "
         "median (min, max) | target |"),
        "| --- | --- | --- |",
        f"| warm `up` to all healthy, parallel (health-gated) | {fmt(par_up)} | ≤ 20 s (aim 10 s) |",
        f"| warm `up`, one container after another (baseline) | {fmt(seq_up)} | |",
        f"| parallel / sequential | {statistics.median(par_up) / statistics.median(seq_up):.2f} | < 1 |",
        f"| `down` | {fmt(downs)} | ≤ 5 s |",
        f"| objects left carrying a run's labels after `down` | {left} | 0 |",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        text = args.write.read_text() if args.write.exists() else ""
        block = f"{BEGIN}\n{report}\n{END}"
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text += f"\n## Startup\n\n{block}\n"
        args.write.write_text(text)
    return 0 if left == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
