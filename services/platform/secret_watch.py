"""Rotation reaches a running service: re-read some secrets every few seconds, act on change.

A service that holds state derived from a secret (auth: the admin client's key and the
admin user's password) runs a `SecretWatch`; when a value read from the secrets emulator
differs from the one it holds, `on_change(values)` runs with every watched value. So a
secret rotated in the emulator (`sandbox secrets rotate NAME`) is in force within
`interval_s` plus whatever the service's callers cache.

>>> import asyncio
>>> class Store:
...     value = "a"
...     def get(self, name, max_age_s=None): return self.value
>>> store, seen = Store(), []
>>> async def changed(values): seen.append(values)
>>> watch = SecretWatch(store, ["x"], changed, interval_s=0)
>>> asyncio.run(watch.check()); store.value = "b"; asyncio.run(watch.check()); seen
[{'x': 'b'}]
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .logging import get_logger

log = get_logger()
OnChange = Callable[[dict[str, str]], Awaitable[None]]


class SecretWatch:
    """Polls `names` in `secrets` (a SecretsClient) every `interval_s` seconds."""

    def __init__(self, secrets: Any, names: Sequence[str], on_change: OnChange, *,
                 interval_s: float = 5.0) -> None:
        self._secrets = secrets
        self._names = list(names)
        self._on_change = on_change
        self.interval_s = interval_s
        self._known: dict[str, str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def _read(self) -> dict[str, str]:
        return {name: await asyncio.to_thread(self._secrets.get, name, max_age_s=0)
                for name in self._names}

    async def check(self) -> bool:
        """Read the secrets once; run `on_change` if any differs from the last read."""
        values = await self._read()
        changed = self._known is not None and values != self._known
        if changed:
            log.info("secrets.rotated", names=[n for n in self._names
                                               if values[n] != self._known.get(n)])  # type: ignore[union-attr]
            await self._on_change(values)
        self._known = values
        return changed

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)  # the poll period, not a readiness wait
            try:
                await self.check()
            except Exception as exc:  # noqa: BLE001 - the emulator down: keep what we hold
                log.warning("secrets.watch_failed", error=str(exc))

    def start(self) -> None:
        """Start polling (the first read is taken as what the service started with)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
