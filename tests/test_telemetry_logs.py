"""Log lines: a trace's JSON lines of every container merged in time order; --all."""

from __future__ import annotations

import json
import threading

from sandbox.telemetry import ContainerLogs
from sandbox.telemetry.logs import parse_json_line
from tests.telemetry_shapes import TRACE_ID

OTHER = "0" * 31 + "1"


def line(ts: str, service: str, event: str, trace_id: str | None, **fields: object) -> str:
    return json.dumps({"ts": ts, "level": "info", "service": service, "event": event,
                       "trace_id": trace_id, "span_id": "00f067aa0ba902b7", **fields})


class FakeContainer:
    """``logs(timestamps=True)`` prefixes Docker's time; ``stream=True`` gives chunks."""

    def __init__(self, lines: list[str], docker_times: list[str] | None = None) -> None:
        self.lines = lines
        self.times = docker_times or [f"2024-05-01T08:00:0{i}.000000000Z"
                                      for i in range(len(lines))]
        self.calls: list[dict[str, object]] = []
        self.release = threading.Event()

    def logs(self, **kwargs: object) -> object:
        self.calls.append(kwargs)
        if kwargs.get("stream"):
            blob = "".join(f"{text}\n" for text in self.lines).encode()
            return iter([blob[:7], blob[7:]])  # cut mid-line, as a stream may be
        rows = (f"{t} {text}" if kwargs.get("timestamps") else text
                for t, text in zip(self.times, self.lines, strict=True))
        return "".join(f"{row}\n" for row in rows).encode()


def test_a_non_json_line_is_skipped():
    assert parse_json_line("gateway", "nginx: [warn] something") is None
    assert parse_json_line("gateway", "[1, 2]") is None
    assert parse_json_line("gateway", "{broken") is None


def test_for_trace_merges_every_containers_lines_of_one_trace_in_time_order():
    containers = {
        "monolith": FakeContainer([
            line("2024-05-01T08:00:00.010+00:00", "monolith", "order.created", TRACE_ID,
                 order_id="o1"),
            "Traceback (most recent call last):",
            line("2024-05-01T08:00:00.030+00:00", "monolith", "order.paid", TRACE_ID.upper()),
        ]),
        "payments-worker": FakeContainer([
            line("2024-05-01T08:00:00.020+00:00", "payments", "charge.started", TRACE_ID),
            line("2024-05-01T08:00:00.025+00:00", "payments", "other", OTHER),
        ]),
        "cache": FakeContainer(["1:M 01 May 2024 08:00:00.000 * Ready to accept connections"]),
    }
    logs = ContainerLogs(lambda: containers, containers.__getitem__)
    merged = logs.for_trace(TRACE_ID)
    assert [(x.container, x.event) for x in merged] == [
        ("monolith", "order.created"), ("payments-worker", "charge.started"),
        ("monolith", "order.paid")]
    assert merged[0].fields == {"order_id": "o1"} and merged[1].service == "payments"
    assert merged[0].text(16).endswith('info  order.created order_id="o1"')


def test_a_line_without_ts_takes_dockers_time():
    containers = {"gateway": FakeContainer(
        [json.dumps({"event": "access", "trace_id": TRACE_ID})],
        ["2024-05-01T08:00:00.015000000Z"]),
        "auth": FakeContainer([line("2024-05-01T08:00:00.010+00:00", "auth", "verify",
                                    TRACE_ID)])}
    merged = ContainerLogs(lambda: containers, containers.__getitem__).for_trace(TRACE_ID)
    assert [x.container for x in merged] == ["auth", "gateway"]


def test_the_old_call_streams_one_service_output():
    containers = {"catalog": FakeContainer(["a", "b"])}
    logs = ContainerLogs(lambda: containers, containers.__getitem__)
    assert b"".join(logs("catalog", follow=True, tail=5)) == b"a\nb\n"
    assert containers["catalog"].calls == [{"stream": True, "follow": True, "tail": 5}]


def test_all_interleaves_by_dockers_time_and_tails():
    containers = {
        "a": FakeContainer(["a1", "a2"], ["2024-05-01T08:00:01Z", "2024-05-01T08:00:03Z"]),
        "b": FakeContainer(["b1", "b2"], ["2024-05-01T08:00:02Z", "2024-05-01T08:00:04Z"]),
    }
    logs = ContainerLogs(lambda: containers, containers.__getitem__)
    assert list(logs.interleaved()) == [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")]
    assert list(logs.interleaved(tail=1)) == [("b", "b2")]


def test_all_following_yields_whole_lines_of_every_container_until_they_end():
    containers = {"a": FakeContainer(["first line of a", "a2"]), "b": FakeContainer(["b1"])}
    logs = ContainerLogs(lambda: containers, containers.__getitem__)
    got = list(logs.interleaved(follow=True, tail=10))
    assert sorted(got) == [("a", "a2"), ("a", "first line of a"), ("b", "b1")]
    assert got.index(("a", "first line of a")) < got.index(("a", "a2"))
    assert containers["b"].calls == [{"stream": True, "follow": True, "tail": 10}]
