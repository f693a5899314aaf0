"""Journeys: what one arrival does, as an async function registered by name.

    @journey("browse", weight=9)
    async def browse(ctx: JourneyContext) -> None:
        async with ctx.step("get product"):
            ctx.expect(await ctx.http.get("/products/1"), 200)

The contract (``JourneyContext``, ``Journey``, ``journey``) comes first; the engine's side
(``ArrivalContext``, ``error_kind``, ``JourneyMix``) after it.

A journey's outcome, and each step's, is ok or an error of one *kind*:

    JourneyFailed(kind)                 kind            (``ctx.fail``, ``ctx.expect``)
    httpx.HTTPStatusError               "http <status>" (``response.raise_for_status()``)
    httpx.TimeoutException, TimeoutError,
      cancelled at the end of the run   "timeout"
    httpx.ConnectError                  "connect"
    any other httpx.TransportError      "transport"
    any other exception                 "exception <TypeName>"

The first step's latency is measured from the arrival's intended start (so time spent
waiting to be sent counts: no coordinated omission), later steps' from when they begin.
A step that fails makes the journey fail with the same kind, even if the journey goes on.
"""

from __future__ import annotations

import asyncio
import bisect
import importlib
import itertools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn, Protocol

import httpx

from sandbox.errors import SandboxError


class JourneyFailed(Exception):
    """Raised by ``ctx.fail``: stops the journey, recorded as an error of ``kind``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class JourneyAlreadyRegistered(SandboxError):
    pass


class UnknownJourney(SandboxError):
    pass


# ---- the contract -------------------------------------------------------------------

class Response(Protocol):
    """An answer as journeys read it (httpx's ``Response`` is one)."""

    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...

    def raise_for_status(self) -> Any: ...


class HttpClient(Protocol):
    """The client a journey gets, its base URL set (httpx's ``AsyncClient`` is one; the
    engine gives ``sandbox.load.lean_http.LeanClient`` on the network)."""

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      json: Any = None, content: bytes | str | None = None) -> Response: ...

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> Response: ...

    async def post(self, url: str, *, headers: Mapping[str, str] | None = None,
                   json: Any = None, content: bytes | str | None = None) -> Response: ...


class JourneyContext(Protocol):
    """What a journey gets: the client, its virtual user, and steps that time themselves."""

    http: HttpClient  # base_url set: ``await ctx.http.get("/products/1")``
    user: int  # the arrival's index in the plan, unique across processes
    at_s: float  # the arrival's intended start, seconds from the run's start
    data: dict[str, Any]  # this virtual user's data (``run_load(..., data=...)``)

    def step(self, name: str) -> AbstractAsyncContextManager[None]:
        """``async with ctx.step("get product"):`` times one step; an exception inside
        it is this step's (and the journey's) error."""

    def fail(self, kind: str) -> NoReturn:
        """Stop here: the current step and the journey fail with ``kind``."""

    def expect(self, response: Response, *statuses: int) -> Response:
        """``response`` if its status is one of ``statuses`` (default: any 2xx), else
        ``fail(f"http {status}")``."""


JourneyFunction = Callable[[JourneyContext], Awaitable[None]]


@dataclass(frozen=True)
class Journey:
    """A registered journey; pickled by name (a worker process imports its module)."""

    name: str
    weight: float
    function: JourneyFunction = field(repr=False, compare=False)
    module: str = ""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle, (self.name, self.module, self.weight))


REGISTRY: dict[str, Journey] = {}


def journey(name: str, weight: float = 1.0) -> Callable[[JourneyFunction], Journey]:
    """Register the decorated async function as the journey ``name``."""
    if weight <= 0:
        raise ValueError("a journey's weight must be positive")

    def register(function: JourneyFunction) -> Journey:
        known, module = REGISTRY.get(name), function.__module__
        if known and (known.module, known.function.__qualname__) != (
                module, function.__qualname__):  # the same one imported again is fine
            raise JourneyAlreadyRegistered(
                f"the journey {name!r} is defined twice ({known.module} and {module})",
                "give one of them another name")
        REGISTRY[name] = Journey(name, float(weight), function, module)
        return REGISTRY[name]

    return register


# ---- the engine's side -------------------------------------------------------------

class StepSink(Protocol):
    """Where a context reports its steps: ``start`` in monotonic seconds."""

    def __call__(self, step: str, start: float, latency_s: float, error: str | None) -> None: ...


@dataclass
class ArrivalContext:
    """The ``JourneyContext`` of one arrival, reporting its steps to ``sink``.

    >>> ctx = ArrivalContext(http=None, user=3, at_s=0.0, intended=time.monotonic())
    >>> ctx.expect(httpx.Response(201), 200, 201).status_code
    201
    >>> ctx.expect(httpx.Response(503))   # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    JourneyFailed: http 503
    """

    http: HttpClient
    user: int
    at_s: float
    intended: float  # the intended start, monotonic seconds
    data: dict[str, Any] = field(default_factory=dict)
    sink: StepSink | None = None
    error: str | None = None  # the journey's first error kind, if any
    _stepped: bool = False

    @asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[None]:
        begin = time.monotonic()
        origin = begin if self._stepped else self.intended
        self._stepped = True
        try:
            yield
        except BaseException as exc:
            self._record(name, origin, error_kind(exc))
            raise
        self._record(name, origin, None)

    def fail(self, kind: str) -> NoReturn:
        raise JourneyFailed(kind)

    def expect(self, response: Response, *statuses: int) -> Response:
        code = response.status_code
        if (code not in statuses) if statuses else not 200 <= code < 300:
            self.fail(f"http {code}")
        return response

    def _record(self, step: str, origin: float, error: str | None) -> None:
        if error and not self.error:
            self.error = error
        if self.sink is not None:
            self.sink(step, origin, time.monotonic() - origin, error)


# ---- helpers --------------------------------------------------------------------------

def registered(name: str, module: str = "") -> Journey:
    """The journey ``name``, importing ``module`` first if given (in a worker process)."""
    if name not in REGISTRY and module:
        importlib.import_module(module)
    if name not in REGISTRY:
        raise UnknownJourney(f"no journey is named {name!r}",
                             f"register it with @journey({name!r}) (known: {sorted(REGISTRY)})")
    return REGISTRY[name]


def _unpickle(name: str, module: str, weight: float) -> Journey:
    known = registered(name, module)
    return known if known.weight == weight else replace(known, weight=weight)


def error_kind(exc: BaseException) -> str:
    """The error kind of an exception (see the module's docstring).

    >>> error_kind(httpx.ConnectError("refused")), error_kind(KeyError("sku"))
    ('connect', 'exception KeyError')
    """
    if isinstance(exc, JourneyFailed):
        return exc.kind
    if isinstance(exc, httpx.HTTPStatusError):
        return f"http {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError | asyncio.CancelledError):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.TransportError):
        return "transport"
    return f"exception {type(exc).__name__}"


class JourneyMix:
    """Picks each arrival's journey at random in proportion to the weights, seeded.

    >>> a, b = Journey("a", 3.0, None), Journey("b", 1.0, None)
    >>> mix = JourneyMix([a, b], seed=1)
    >>> picks = [mix.pick().name for _ in range(4000)]
    >>> abs(picks.count("a") / 4000 - 0.75) < 0.03
    True
    >>> picks[:8] == [j.name for j in itertools.islice(JourneyMix([a, b], seed=1), 8)]
    True
    """

    def __init__(self, journeys: Sequence[Journey], seed: int = 0) -> None:
        if not journeys:
            raise ValueError("a mix needs at least one journey")
        self.journeys = tuple(journeys)
        self._cumulative = list(itertools.accumulate(j.weight for j in self.journeys))
        self._random = random.Random(seed)

    def pick(self) -> Journey:
        x = self._random.random() * self._cumulative[-1]
        i = bisect.bisect_right(self._cumulative, x)
        return self.journeys[min(i, len(self.journeys) - 1)]

    def __iter__(self) -> JourneyMix:
        return self

    def __next__(self) -> Journey:
        return self.pick()
