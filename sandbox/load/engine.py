"""The open-loop engine: ``run_load`` runs a plan's arrivals, in this process or several.

One process runs one ``Scheduler`` (see ``scheduler``: intended starts, dropped
arrivals, the final timeout) on an asyncio loop, uvloop when importable.
With ``processes=N`` each of N spawned workers takes every N-th arrival of the same plan
(the union is the one-process schedule) and the same journey picks; they start together
at a time the parent sets, report progress once a second, and hand back their recorder
encoded; the parent merges them.

>>> from sandbox.load.schedule import Constant, Plan
>>> async def hello(ctx):
...     async with ctx.step("get /"):
...         ctx.expect(await ctx.http.get("/"), 200)
>>> answer_200 = httpx.MockTransport(lambda request: httpx.Response(200))
>>> result = run_load(Plan(Constant(rate=50, duration_s=0.2)), [Journey("hello", 1.0, hello)],
...                   base_url="http://sut", transport=answer_200)
>>> result.counts("hello"), result.counts("hello", "get /").ok, result.overhead.requests
(Counts(ok=10, errors=0, dropped=0, kinds={}), 10, 10)
"""

from __future__ import annotations

import math
import multiprocessing
import queue as queues
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.errors import SandboxError
from sandbox.load.journeys import Journey, registered
from sandbox.load.recorder import Recorder
from sandbox.load.results import LoadResult, Overhead
from sandbox.load.schedule import Plan
from sandbox.load.scheduler import LoadProgress, Scheduler, Settings, progress_of, run_async, tally
from sandbox.load.trace_sampling import DEFAULT_TRACES_PER_S, Tracing

START_LEAD_S = 0.05  # between fixing t0 and t0 itself, so the first arrivals are not late
WORKER_START_S = 60.0  # how long spawned workers may take to be ready


class LoadEngineFailed(SandboxError):
    pass


# ---- one process ----------------------------------------------------------------------

def _run_here(settings: Settings, progress: Callable[[LoadProgress], None] | None
              ) -> tuple[Recorder, float, float, int, int]:
    def on_tally(scheduler: Scheduler, second: int | None) -> None:
        if progress is not None:
            progress(progress_of([tally(scheduler, second)]))

    scheduler = Scheduler(settings, on_tally)
    run_async(scheduler.run(lambda: time.monotonic() + START_LEAD_S))
    return (scheduler.recorder, scheduler.started_at, scheduler.cpu_s, scheduler.requests,
            scheduler.traced)


# ---- worker processes -------------------------------------------------------------------

def _work(settings: Settings, results: Any, go: Any, start: Any) -> None:
    """A worker process's body: ready, wait for the parent's t0, run, report."""
    shard = settings.shard
    try:
        def on_tally(scheduler: Scheduler, second: int | None) -> None:
            results.put(("tally", shard, tally(scheduler, second)))

        def begin() -> float:
            results.put(("ready", shard, None))
            if not go.wait(WORKER_START_S):
                raise TimeoutError("the parent never said go")
            return start.value

        scheduler = Scheduler(settings, on_tally)
        run_async(scheduler.run(begin))
        results.put(("done", shard, {"recorder": scheduler.recorder.encode(),
                                     "cpu_s": scheduler.cpu_s,
                                     "requests": scheduler.requests,
                                     "traced": scheduler.traced}))
    except Exception:  # noqa: BLE001 - any failure goes back to the parent
        results.put(("failed", shard, traceback.format_exc()))


def _next(results: Any, workers: list[Any], deadline: float) -> tuple[str, int, Any]:
    while True:
        try:
            return results.get(timeout=0.2)
        except queues.Empty:
            pass
        dead = [w.name for w in workers if w.exitcode not in (None, 0)]
        if dead or time.monotonic() > deadline:
            what = f"the load workers {dead} exited" if dead else "the load workers hung"
            raise LoadEngineFailed(what, "see the output above; try processes=1")


def _run_workers(settings: Settings, processes: int,
                 progress: Callable[[LoadProgress], None] | None
                 ) -> tuple[Recorder, float, float, int, int]:
    context = multiprocessing.get_context("spawn")
    results, go, start = context.Queue(), context.Event(), context.Value("d", 0.0)
    workers = [context.Process(target=_work, daemon=True, name=f"load-worker-{shard}",
                               args=(replace(settings, shard=shard, shards=processes),
                                     results, go, start))
               for shard in range(processes)]
    for worker in workers:
        worker.start()
    finished = False
    try:
        deadline = time.monotonic() + WORKER_START_S
        ready = set()
        while len(ready) < processes:
            kind, shard, payload = _next(results, workers, deadline)
            if kind == "failed":
                raise LoadEngineFailed(f"a load worker failed:\n{payload}", "fix the journey")
            ready.add(shard)
        start.value = time.monotonic() + START_LEAD_S
        started_at = time.time() + START_LEAD_S
        go.set()
        cpu = time.thread_time()  # the parent's share: progress, decoding, merging
        deadline = start.value + settings.plan.duration_s + settings.timeout_s + WORKER_START_S
        recorder, cpu_s, requests, traced = Recorder(settings.window_s), 0.0, 0, 0
        rounds: dict[int | None, list[dict[str, Any]]] = {}
        done = 0
        while done < processes:
            kind, shard, payload = _next(results, workers, deadline)
            if kind == "failed":
                raise LoadEngineFailed(f"a load worker failed:\n{payload}", "fix the journey")
            if kind == "tally":  # progress once every worker has told the same second
                same = rounds.setdefault(payload["second"], [])
                same.append(payload)
                if progress is not None and len(same) == processes:
                    progress(progress_of(rounds.pop(payload["second"])))
            elif kind == "done":
                recorder.merge(Recorder.decode(payload["recorder"]))
                cpu_s += payload["cpu_s"]
                requests += payload["requests"]
                traced += payload["traced"]
                done += 1
        finished = True
    finally:
        for worker in workers:
            if not finished:
                worker.kill()
            worker.join(timeout=5)
    return recorder, started_at, cpu_s + time.thread_time() - cpu, requests, traced


# ---- the entry point ----------------------------------------------------------------------

def run_load(plan: Plan, journeys: Sequence[Journey | str] | Mapping[str, float], *,
             base_url: str, max_in_flight: int = 1000, processes: int = 1,
             progress: Callable[[LoadProgress], None] | None = None, timeout_s: float = 10.0,
             seed: int = 0, lateness_bound_s: float = 1.0, window_s: float = 1.0,
             data: Callable[[int], dict[str, Any]] | None = None,
             transport: httpx.AsyncBaseTransport | None = None,
             traces_per_s: float = DEFAULT_TRACES_PER_S) -> LoadResult:
    """Run ``plan`` open-loop against ``base_url``, each arrival a journey of the mix.

    ``journeys``: journeys or registered names (their own weights), or names to weights.
    ``max_in_flight`` is shared out among the ``processes``; ``timeout_s`` bounds each
    request and the wait for the last journeys; ``data(user)`` (a module-level function
    when ``processes > 1``) gives each arrival its ``ctx.data``; ``transport`` replaces
    the network (``httpx.MockTransport``, in this process only). ``traces_per_s`` bounds
    the arrivals traced (head sampling, ``sandbox.load.trace_sampling``; ``math.inf``: all,
    0: none). ``progress`` is called
    on the event loop: keep it quick. Not from inside a running event loop.

    The overhead's CPU is the schedulers' threads' from t0 to the end (setup left out) and
    the parent's merging; ``requests`` counts HTTP requests.
    """
    if transport is not None and processes > 1:
        raise ValueError("a transport stays in this process: use processes=1")
    if processes < 1 or max_in_flight < processes:
        raise ValueError("need processes >= 1 and max_in_flight >= processes")
    if isinstance(journeys, Mapping):
        mix = tuple(replace(registered(name), weight=float(weight))
                    for name, weight in journeys.items())
    else:
        mix = tuple(registered(j) if isinstance(j, str) else j for j in journeys)
    settings = Settings(plan, mix, base_url, math.ceil(max_in_flight / processes), timeout_s,
                         lateness_bound_s, window_s, seed, data, transport,
                         traces_per_s=traces_per_s)
    wall = time.monotonic()
    if processes == 1:
        recorder, started_at, cpu_s, requests, traced = _run_here(settings, progress)
    else:
        recorder, started_at, cpu_s, requests, traced = _run_workers(settings, processes,
                                                                     progress)
    return LoadResult(plan, recorder, tuple(j.name for j in mix),
                      started_at=datetime.fromtimestamp(started_at, UTC),
                      elapsed_s=time.monotonic() - wall, overhead=Overhead(processes, cpu_s,
                                                                            requests),
                      tracing=Tracing(traces_per_s, traced))
