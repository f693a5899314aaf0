"""The live toxic chain of a link, without sockets: recording endpoints, one event loop."""

from __future__ import annotations

import asyncio
import random

import pytest

from sandbox.toxiproxy.errors import ApiError
from sandbox.toxiproxy.link import Link
from sandbox.toxiproxy.toxic_collection import ToxicEntry, parse_toxic
from sandbox.toxiproxy.toxics import LatencyToxic, Toxic, ToxicStub
from sandbox.toxiproxy.toxics.registry import build

pytestmark = pytest.mark.timeout(10)


class RecordingEndpoint:
    """Collects what a link writes; records pauses and the close."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.reading: list[bool] = []

    def write(self, data: memoryview | bytes) -> None:
        assert not self.closed
        self.data.extend(data)

    def close(self) -> None:
        self.closed = True

    def set_reading(self, reading: bool) -> None:
        self.reading.append(reading)


def make_link() -> tuple[Link, RecordingEndpoint, list[str]]:
    dest = RecordingEndpoint()
    events: list[str] = []
    link = Link(
        "downstream",
        RecordingEndpoint(),
        dest,
        on_done=lambda _: events.append("done"),
        on_reset=lambda: events.append("reset"),
    )
    return link, dest, events


def entry(
    toxic_type: str, name: str | None = None, toxicity: float = 1.0, **attributes: int
) -> ToxicEntry:
    return parse_toxic(
        {
            "type": toxic_type,
            "name": name or toxic_type,
            "toxicity": toxicity,
            "attributes": attributes,
        }
    )


def test_without_toxics_bytes_go_straight_through():
    async def run() -> None:
        link, dest, events = make_link()
        link.feed(memoryview(b"abc"))
        assert dest.data == b"abc"  # synchronously: the fast path
        link.feed_eof()
        assert dest.closed and events == ["done"]

    asyncio.run(run())


def test_chain_changes_keep_every_byte_in_order():
    async def run() -> None:
        link, dest, _ = make_link()
        rng = random.Random(7)
        expected = bytearray()
        kinds = [
            ("latency", {"latency": 1, "jitter": 1}),
            ("slicer", {"average_size": 3, "size_variation": 2}),
            ("bandwidth", {"rate": 100_000}),
            ("bandwidth", {"rate": 0}),  # holds everything until removed
            ("noop", {}),
        ]
        for step in range(300):
            data = rng.randbytes(rng.randint(1, 50))
            expected.extend(data)
            link.feed(memoryview(data))
            action = rng.random()
            names = [stage.entry.name for stage in link.stages]
            if action < 0.4 and len(names) < 4:
                kind, attrs = rng.choice(kinds)
                link.add_toxic(entry(kind, name=f"{kind}{step}", **attrs))
            elif action < 0.7 and names:
                link.remove_toxic(rng.choice(names))
            elif action < 0.8 and names:
                stage = rng.choice(link.stages)
                link.update_toxic(
                    ToxicEntry(
                        stage.entry.name,
                        stage.entry.type,
                        stage.entry.stream,
                        1.0,
                        stage.entry.toxic,
                    )
                )
            await asyncio.sleep(rng.choice((0, 0, 0.001)))
        for name in [stage.entry.name for stage in link.stages]:
            link.remove_toxic(name)
        link.feed_eof()
        assert bytes(dest.data) == bytes(expected)
        assert dest.closed

    asyncio.run(run())


def test_update_keeps_the_chunk_in_flight():
    async def run() -> None:
        link, dest, _ = make_link()
        link.add_toxic(entry("latency", latency=10_000))
        link.feed(memoryview(b"held"))
        await asyncio.sleep(0.01)
        assert dest.data == b""
        link.update_toxic(entry("latency", latency=0))
        await asyncio.sleep(0.01)
        assert dest.data == b"held"

    asyncio.run(run())


def test_removing_a_holding_toxic_releases_data_and_the_end():
    async def run() -> None:
        link, dest, events = make_link()
        link.add_toxic(entry("bandwidth", rate=0))
        link.feed(memoryview(b"x" * 10))
        link.feed_eof()
        await asyncio.sleep(0.01)
        assert dest.data == b"" and not dest.closed
        link.remove_toxic("bandwidth")
        assert dest.data == b"x" * 10 and dest.closed and events == ["done"]

    asyncio.run(run())


def test_removing_timeout_closes_the_stream_and_drops_what_it_swallowed():
    async def run() -> None:
        link, dest, events = make_link()
        link.add_toxic(entry("timeout", timeout=0))
        link.feed(memoryview(b"x" * 10))
        await asyncio.sleep(0.01)
        assert dest.data == b"" and not dest.closed
        link.remove_toxic("timeout")
        await asyncio.sleep(0.01)
        assert dest.data == b"" and dest.closed and events == ["done"]

    asyncio.run(run())


def test_limit_data_ends_the_stream_at_the_limit():
    async def run() -> None:
        link, dest, _ = make_link()
        link.add_toxic(entry("limit_data", bytes=5))
        link.feed(memoryview(b"0123456789"))
        await asyncio.sleep(0.01)
        assert dest.data == b"01234" and dest.closed

    asyncio.run(run())


def test_reset_peer_asks_the_connection_for_a_reset():
    async def run() -> None:
        link, _, events = make_link()
        link.add_toxic(entry("reset_peer", timeout=0))
        link.feed(memoryview(b"x"))
        await asyncio.sleep(0.01)
        assert events == ["reset"]

    asyncio.run(run())


def test_toxicity_zero_passes_data_untouched():
    async def run() -> None:
        link, dest, _ = make_link()
        link.add_toxic(entry("latency", toxicity=0.0, latency=10_000))
        link.feed(memoryview(b"fast"))
        await asyncio.sleep(0.01)
        assert dest.data == b"fast"

    asyncio.run(run())


def test_a_full_chain_pauses_the_source_and_resumes_it():
    async def run() -> None:
        link, dest, _ = make_link()
        link.add_toxic(entry("bandwidth", rate=0))
        link.feed(memoryview(bytes(2 << 20)))
        assert link.source.reading == [False]  # type: ignore[attr-defined]
        link.remove_toxic("bandwidth")
        assert len(dest.data) == 2 << 20
        assert link.source.reading == [False, True]  # type: ignore[attr-defined]

    asyncio.run(run())


def test_a_second_toxic_type_of_the_same_name_is_refused():
    with pytest.raises(ValueError, match="already registered"):

        class Again(Toxic, type_name="latency"):
            async def pipe(self, stub: ToxicStub) -> None:
                return None


def test_attributes_are_merged_and_negative_ones_accepted_as_toxiproxy_does():
    toxic = build(LatencyToxic, {"latency": 5})
    assert build(LatencyToxic, {"jitter": 2}, base=toxic) == LatencyToxic(latency=5, jitter=2)
    assert build(LatencyToxic, {"latency": -1}) == LatencyToxic(latency=-1, jitter=0)
    with pytest.raises(ApiError, match="of type int64"):
        parse_toxic({"type": "latency", "attributes": {"latency": "5"}})
