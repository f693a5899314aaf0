"""One process's scheduler: arrivals start at their intended times, whatever the system does.

    Scheduler ──sleep until t0+at──▶ launch the arrival's journey as a task
        │                              latency (journey and first step) from t0+at
        ├─ max_in_flight journeys running, or more than lateness_bound_s late:  DROPPED
        └─ after the plan: timeout_s for the journeys in flight, then cancelled: "timeout"

Every scheduler draws the journey of every arrival (so N of them, each taking every N-th
arrival, make the same mix as one), and tells its counts once a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.load.journeys import ArrivalContext, HttpClient, Journey, JourneyMix, error_kind
from sandbox.load.lean_http import LeanClient
from sandbox.load.recorder import Recorder, new_histogram, percentiles_ms, record_us
from sandbox.load.schedule import Plan
from sandbox.load.trace_sampling import DEFAULT_TRACES_PER_S, TracedClient, TraceSampler


@dataclass(frozen=True)
class LoadProgress:
    """A live snapshot: arrivals sent, finished ok or not, dropped; the p99 of the
    journeys that finished in the last second (None if none did)."""

    elapsed_s: float
    sent: int
    ok: int
    errors: int
    dropped: int
    p99_ms: float | None


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs (picklable: journeys travel by name)."""

    plan: Plan
    journeys: tuple[Journey, ...]
    base_url: str
    max_in_flight: int
    timeout_s: float
    lateness_bound_s: float
    window_s: float
    seed: int
    data: Callable[[int], dict[str, Any]] | None
    transport: httpx.AsyncBaseTransport | None = None  # in-process only (tests)
    shard: int = 0
    shards: int = 1
    traces_per_s: float = DEFAULT_TRACES_PER_S  # head sampling (trace_sampling.py)


class Scheduler:
    """One process's share of the run, on its own event loop (see the module's docstring)."""

    def __init__(self, settings: Settings,
                 on_tally: Callable[[Scheduler, int | None], None]) -> None:
        self.settings = settings
        self.recorder = Recorder(settings.window_s)
        self.recent = new_histogram()  # journeys finished since the last tally
        self.sent = self.ok = self.errors = self.dropped = self.requests = 0
        self.traced = 0  # arrivals sent with a sampled traceparent
        self.on_tally = on_tally  # called with each second's number, and None at the end
        self.t0 = 0.0
        self.started_at = 0.0  # wall-clock t0
        self.cpu_s = 0.0  # CPU of this thread from t0 to the end (the setup left out)

    async def run(self, begin: Callable[[], float]) -> None:
        s = self.settings
        async with self._client() as client:
            self.t0 = begin()
            self.started_at = time.time() + self.t0 - time.monotonic()
            cpu = time.thread_time()
            tallies = asyncio.create_task(self._tally_every_second())
            in_flight: set[asyncio.Task[None]] = set()
            try:
                await self._schedule(client, in_flight)
                await _sleep_until(self.t0 + s.plan.duration_s)
                if in_flight:
                    _, late = await asyncio.wait(set(in_flight), timeout=s.timeout_s)
                    for task in late:
                        task.cancel()  # the journey records itself as a "timeout"
                    await asyncio.gather(*late, return_exceptions=True)
            finally:
                tallies.cancel()
                self.cpu_s = time.thread_time() - cpu
        self.on_tally(self, None)

    async def _schedule(self, client: HttpClient, in_flight: set[asyncio.Task]) -> None:
        s = self.settings
        mix = JourneyMix(s.journeys, s.seed)
        sampler = TraceSampler(s.traces_per_s)  # trace ids from the system's randomness
        for index, at in enumerate(s.plan.arrivals()):
            journey = mix.pick()  # every worker draws every pick: the same mix as one process
            traced = sampler.sampled(at)  # and every sampling decision
            if index % s.shards != s.shard:
                continue
            intended = self.t0 + at
            if intended > time.monotonic():
                await _sleep_until(intended)
            else:
                await asyncio.sleep(0)  # behind: let the journeys in flight move
            late = time.monotonic() - intended
            if late > s.lateness_bound_s or len(in_flight) >= s.max_in_flight:
                self.recorder.drop(journey.name, at)
                self.dropped += 1
                continue
            self.traced += traced
            traced_client = TracedClient(client, sampler.traceparent(traced))
            task = asyncio.create_task(self._arrive(traced_client, journey, index, at, intended))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    async def _arrive(self, client: HttpClient, journey: Journey, index: int, at: float,
                      intended: float) -> None:
        self.recorder.late(time.monotonic() - intended)
        self.sent += 1
        data = dict(self.settings.data(index)) if self.settings.data else {}

        def sink(step: str, start: float, latency_s: float, error: str | None) -> None:
            self.recorder.record(journey.name, step, start - self.t0, latency_s, error)

        ctx = ArrivalContext(http=client, user=index, at_s=at, intended=intended, data=data,
                             sink=sink)
        try:
            await journey.function(ctx)
        except BaseException as exc:
            ctx.error = ctx.error or error_kind(exc)
            if not isinstance(exc, Exception):
                raise  # cancelled (recorded as a "timeout" below) or interrupted
        finally:
            latency = time.monotonic() - intended
            self.recorder.record(journey.name, None, at, latency, ctx.error)
            record_us(self.recent, latency)
            if ctx.error:
                self.errors += 1
            else:
                self.ok += 1

    def _client(self) -> Any:
        """The lean client on the network; httpx over the settings' transport (tests)."""
        s = self.settings
        if s.transport is None:
            return LeanClient(s.base_url, timeout_s=s.timeout_s, max_connections=s.max_in_flight,
                              on_request=self._count)
        limits = httpx.Limits(max_connections=s.max_in_flight,
                              max_keepalive_connections=s.max_in_flight)
        return httpx.AsyncClient(base_url=s.base_url, timeout=s.timeout_s, limits=limits,
                                 transport=s.transport,
                                 event_hooks={"request": [self._count_hook]})

    def _count(self) -> None:
        self.requests += 1

    async def _count_hook(self, request: httpx.Request) -> None:
        self._count()

    async def _tally_every_second(self) -> None:
        second = 1
        while True:
            await _sleep_until(self.t0 + second)
            self.on_tally(self, second)
            second += 1


async def _sleep_until(deadline: float) -> None:
    # loops because some event loops (uvloop) time their sleeps to the millisecond
    while (delay := deadline - time.monotonic()) > 0:
        await asyncio.sleep(delay)


def run_async(coroutine: Any) -> Any:
    """Run ``coroutine`` on a new event loop, uvloop's when importable."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency, but optional here
        factory = None
    else:
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coroutine)


def tally(scheduler: Scheduler, second: int | None) -> dict[str, Any]:
    """A scheduler's counts so far and its recent histogram (which starts again empty)."""
    counts = {"second": second, "elapsed_s": time.monotonic() - scheduler.t0,
              "sent": scheduler.sent, "ok": scheduler.ok, "errors": scheduler.errors,
              "dropped": scheduler.dropped,
              "recent": scheduler.recent.encode().decode("ascii")}
    scheduler.recent = new_histogram()
    return counts


def progress_of(tallies: Sequence[dict[str, Any]]) -> LoadProgress:
    """The progress of a run from the same second's tally of each of its schedulers."""
    recent = new_histogram()
    for tally in tallies:
        recent.decode_and_add(tally["recent"])
    return LoadProgress(max(t["elapsed_s"] for t in tallies),
                        *(sum(t[key] for t in tallies) for key in ("sent", "ok", "errors",
                                                                   "dropped")),
                        percentiles_ms(recent, [99])[99])
