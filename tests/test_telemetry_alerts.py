"""Alerts fire and resolve per Prometheus, Alertmanager and what the sink received."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from sandbox.telemetry import Alerts, ContainerAlertSink, HttpAlertSink, Poller
from sandbox.telemetry.errors import TelemetryUnavailable
from tests.telemetry_shapes import FakeClock, am_alert, prom_alert, prom_alerts, sink_item

PROM, AM, SINK = "http://127.0.0.1:9090", "http://127.0.0.1:9093", "http://127.0.0.1:8000"
SINK_URL = f"{SINK}/internal/alerts"


def alerts(clock: FakeClock, sink: bool = True) -> Alerts:
    return Alerts(PROM, AM, HttpAlertSink(SINK_URL, "tok") if sink else None,
                  poller=Poller(interval=5.0, clock=clock, pause=clock.pause))


@respx.mock(assert_all_mocked=True)
def test_wait_for_needs_firing_in_prometheus_active_in_alertmanager_and_the_sink(respx_mock):
    prom = respx_mock.get(f"{PROM}/api/v1/alerts")
    prom.side_effect = [httpx.Response(200, json=prom_alerts(prom_alert("HighLatency", "pending"))),
                        *[httpx.Response(200, json=prom_alerts(prom_alert("HighLatency",
                                                                          "firing")))] * 3]
    am = respx_mock.get(f"{AM}/api/v2/alerts")
    am.side_effect = [httpx.Response(200, json=[]), httpx.Response(200, json=[]),
                      *[httpx.Response(200, json=[am_alert("HighLatency")])] * 2]
    sink = respx_mock.get(SINK_URL)
    old = sink_item(1, "HighLatency", "firing", "2024-05-01T07:00:00.000+00:00")  # earlier
    new = sink_item(2, "HighLatency", "firing", "2024-05-01T08:01:05.5+00:00")
    sink.side_effect = [httpx.Response(200, json={"items": [old]})] * 3 + [
        httpx.Response(200, json={"items": [new, old]})]
    clock = FakeClock()
    firing = alerts(clock).wait_for("HighLatency", within=60)
    assert firing.notification.id == 2, "a firing notification since Alertmanager's startsAt"
    assert firing.alertmanager["fingerprint"] == "1a2b3c4d5e6f7a8b"
    assert prom.call_count == 4 and clock.now == 15.0
    assert sink.calls.last.request.headers["authorization"] == "Bearer tok"
    assert sink.calls.last.request.url.params["alertname"] == "HighLatency"


@respx.mock(assert_all_mocked=True)
def test_wait_for_times_out_saying_what_each_source_last_showed(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/alerts").respond(
        json=prom_alerts(prom_alert("HighLatency", "firing")))
    respx_mock.get(f"{AM}/api/v2/alerts").respond(json=[am_alert("HighLatency")])
    respx_mock.get(SINK_URL).respond(json={"items": []})
    clock = FakeClock()
    with pytest.raises(AssertionError) as info:
        alerts(clock).wait_for("HighLatency", within=20)
    message = str(info.value)
    assert message.startswith("alert HighLatency is not firing after 20 s (5 polls)")
    assert "Prometheus:   firing since 2024-05-01T08:00:00.000000000Z" in message
    assert "Alertmanager: active since 2024-05-01T08:01:00.123456789Z, receivers ['webhooks']" \
        in message
    assert "sink:         received nothing (waiting for a firing one)" in message


@respx.mock(assert_all_mocked=True)
def test_labels_narrow_the_alert(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/alerts").respond(json=prom_alerts(
        prom_alert("TargetDown", "firing", instance="auth:8000")))
    respx_mock.get(f"{AM}/api/v2/alerts").respond(json=[am_alert("TargetDown",
                                                                 instance="auth:8000")])
    clock = FakeClock()
    firing = alerts(clock, sink=False).wait_for("TargetDown", labels={"instance": "auth:8000"})
    assert firing.notification is None and firing.labels["instance"] == "auth:8000"
    with pytest.raises(AssertionError, match="Prometheus:   not pending, not firing"):
        alerts(clock, sink=False).wait_for("TargetDown", labels={"instance": "x:1"}, within=5)


@respx.mock(assert_all_mocked=True)
def test_resolved_needs_a_resolved_notification_after_the_last_firing_one(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/alerts").respond(json=prom_alerts())
    respx_mock.get(f"{AM}/api/v2/alerts").respond(json=[])
    fired = sink_item(7, "HighLatency", "firing", "2024-05-01T08:01:05+00:00")
    resolved = sink_item(9, "HighLatency", "resolved", "2024-05-01T08:03:00+00:00")
    respx_mock.get(SINK_URL).side_effect = [
        httpx.Response(200, json={"items": [fired]}),
        httpx.Response(200, json={"items": [resolved, fired]})]
    clock = FakeClock()
    done = alerts(clock).resolved("HighLatency", within=60)
    assert (done.firing.id, done.notification.id) == (7, 9) and clock.now == 5.0


@respx.mock(assert_all_mocked=True)
def test_resolved_times_out_while_prometheus_still_fires(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/alerts").respond(
        json=prom_alerts(prom_alert("HighLatency", "firing")))
    respx_mock.get(f"{AM}/api/v2/alerts").respond(json=[am_alert("HighLatency")])
    respx_mock.get(SINK_URL).respond(json={"items": []})
    with pytest.raises(AssertionError) as info:
        alerts(FakeClock()).resolved("HighLatency", within=10)
    assert str(info.value).startswith("alert HighLatency is not resolved after 10 s")


class RecordingExec:
    """A sandbox's ``exec``: records the command, answers like curl -w '\\n%{http_code}'."""

    def __init__(self, body: str, status: int = 200) -> None:
        self.output = f"{body}\n{status}"
        self.calls: list[tuple[str, list[str]]] = []

    def exec(self, service: str, cmd: list[str]) -> tuple[int, str]:
        self.calls.append((service, cmd))
        return 0, self.output


def test_the_container_sink_reads_with_the_token_file_inside_alertmanager():
    fake = RecordingExec(json.dumps({"items": [sink_item(3, "HighLatency", "firing",
                                                         "2024-05-01T08:01:05+00:00")]}))
    [note] = ContainerAlertSink(fake).received("HighLatency")
    assert (note.id, note.status, note.labels["alertname"]) == (3, "firing", "HighLatency")
    [(service, cmd)] = fake.calls
    assert service == "alertmanager" and cmd[:2] == ["sh", "-c"]
    assert "$(cat /run/secrets/alerts/sink_token)" in cmd[2]
    assert "'http://webhooks:8000/internal/alerts?limit=1000&alertname=HighLatency'" in cmd[2]


def test_a_refusing_sink_is_one_line_naming_its_answer():
    fake = RecordingExec('{"title": "Unauthorized"}', status=401)
    with pytest.raises(TelemetryUnavailable) as info:
        ContainerAlertSink(fake).received()
    assert "the alert sink answered 401 to alertmanager" in info.value.one_line()
