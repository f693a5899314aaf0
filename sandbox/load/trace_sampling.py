"""Head sampling of a load run: each arrival is one trace, and at most N a second are traced.

Every arrival's requests carry one W3C ``traceparent`` (the arrival's own trace id), so
that the gateway's log lines, its span and the services' spans of one journey share that
id. The trace-flags say whether the arrival is sampled. The gateway follows that
decision (compose/nginx/gateway.conf.template): an unsampled request gets no span and
no access line unless it failed, and the services, whose sampler follows the parent,
record nothing either. Tracing every request at 1,000 requests/s costs the system more
than the requests do (the logs through Docker, the spans into the trace store), and it
is not what a production system does.

The sampler is rate-limited, like Jaeger's: time is cut into slots of ``1 / per_s``
seconds, and the first arrival of each slot is traced. Below ``per_s`` arrivals a second
nearly every arrival is traced; above it, ``per_s`` a second. The decision is made from
the plan alone (the arrival's intended time), so the processes of a run agree on it.
``per_s=0`` traces nothing, ``math.inf`` everything.

>>> sampler = TraceSampler(per_s=2.0, seed=1)
>>> [sampler.sampled(at) for at in (0.0, 0.1, 0.5, 0.6, 1.2)]
[True, False, True, False, True]
>>> sampler.traceparent(True)[-3:], sampler.traceparent(False)[-3:]
('-01', '-00')
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.load.journeys import HttpClient, Response

DEFAULT_TRACES_PER_S = 10.0
TRACEPARENT = "traceparent"


class TraceSampler:
    """Which arrivals are traced, and the ``traceparent`` each one's requests carry."""

    def __init__(self, per_s: float = DEFAULT_TRACES_PER_S, seed: int | None = None) -> None:
        if not per_s >= 0:
            raise ValueError(f"traces per second must be 0 or more, not {per_s!r}")
        self.per_s = per_s
        self._last_slot: float | None = None
        self._random = random.Random(seed)  # None: the system's randomness (ids unique per run)

    def sampled(self, at_s: float) -> bool:
        """Call once per arrival of the plan, in order (every process sees every one)."""
        if self.per_s == 0:
            return False
        if math.isinf(self.per_s):
            return True
        slot = math.floor(at_s * self.per_s)
        if slot == self._last_slot:
            return False
        self._last_slot = slot
        return True

    def traceparent(self, sampled: bool) -> str:
        """A new trace: version 00, a random trace id and parent span id, the flags."""
        trace = self._random.getrandbits(128) or 1
        parent = self._random.getrandbits(64) or 1
        return f"00-{trace:032x}-{parent:016x}-{'01' if sampled else '00'}"


@dataclass(frozen=True)
class Tracing:
    """A run's head sampling: the bound, and how many arrivals were sent traced (the
    schedulers' count)."""

    per_s: float = DEFAULT_TRACES_PER_S
    traced: int = 0

    def summary(self) -> dict[str, Any]:
        """``{"traces_per_s": bound or None (every arrival), "traced": count}``."""
        return {"traces_per_s": None if math.isinf(self.per_s) else self.per_s,
                "traced": self.traced}


class TracedClient:
    """The journey's client, each request carrying the arrival's ``traceparent`` (unless
    the journey sets one of its own)."""

    def __init__(self, inner: HttpClient, traceparent: str) -> None:
        self._inner = inner
        self.traceparent = traceparent

    def _headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        merged = {TRACEPARENT: self.traceparent}
        if headers:
            merged.update(headers)
        return merged

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      json: Any = None, content: bytes | str | None = None) -> Response:
        return await self._inner.request(method, url, headers=self._headers(headers),
                                         json=json, content=content)

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> Response:
        return await self._inner.get(url, headers=self._headers(headers))

    async def post(self, url: str, *, headers: Mapping[str, str] | None = None,
                   json: Any = None, content: bytes | str | None = None) -> Response:
        return await self._inner.post(url, headers=self._headers(headers), json=json,
                                      content=content)
