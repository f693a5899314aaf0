"""Prometheus queries: typed samples and series, PromQL errors with Prometheus's message."""

from __future__ import annotations

import math

import pytest
import respx

from sandbox.telemetry import Metrics, QueryRefused, Sample, TelemetryUnavailable
from tests.telemetry_shapes import PROM_BAD_DATA, closed_port, prom_vector

PROM = "http://127.0.0.1:9090"


@respx.mock(assert_all_mocked=True)
def test_an_instant_query_gives_typed_samples(respx_mock):
    route = respx_mock.get(f"{PROM}/api/v1/query").respond(json=prom_vector(
        ({"service": "catalog"}, "3.5"), ({"service": "auth"}, "NaN")))
    samples = Metrics(PROM).query("sum by (service) (rate(http_requests_total[1m]))", at=100.0)
    assert samples[0] == Sample({"service": "catalog"}, 3.5, 1714550400.123)
    assert math.isnan(samples[1].value)
    params = route.calls.last.request.url.params
    assert params["query"].startswith("sum by (service)") and params["time"] == "100.0"


@respx.mock(assert_all_mocked=True)
def test_a_scalar_and_value_give_one_number(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/query").respond(json={
        "status": "success", "data": {"resultType": "scalar", "result": [1714550400, "2"]}})
    assert Metrics(PROM).value("1 + 1") == 2.0


@respx.mock(assert_all_mocked=True)
def test_value_of_several_series_asks_for_an_aggregation(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/query").respond(json=prom_vector(({"a": "1"}, "1"),
                                                                     ({"a": "2"}, "1")))
    with pytest.raises(QueryRefused, match="gives 2 series, not one"):
        Metrics(PROM).value("up")


@respx.mock(assert_all_mocked=True)
def test_a_range_query_gives_series_of_points(respx_mock):
    route = respx_mock.get(f"{PROM}/api/v1/query_range").respond(json={
        "status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"__name__": "up", "service": "catalog"},
             "values": [[1714550400, "1"], [1714550405, "0"]]}]}})
    [series] = Metrics(PROM).query_range("up", start=1714550400, end=1714550405, step=5)
    assert series.metric["service"] == "catalog"
    assert series.points == ((1714550400.0, 1.0), (1714550405.0, 0.0))
    assert series.values == [1.0, 0.0]
    assert route.calls.last.request.url.params["step"] == "5.0"


@respx.mock(assert_all_mocked=True)
def test_bad_promql_names_prometheus_own_message(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/query").respond(400, json=PROM_BAD_DATA)
    with pytest.raises(QueryRefused) as info:
        Metrics(PROM).query("sum(rate(x[1m])")
    line = info.value.one_line()
    assert "Prometheus refused 'sum(rate(x[1m])': bad_data:" in line
    assert "1:14: parse error: unclosed left parenthesis" in line
    assert "fix: correct the PromQL" in line


@respx.mock(assert_all_mocked=True)
def test_a_failing_prometheus_is_unavailable_not_a_bad_query(respx_mock):
    respx_mock.get(f"{PROM}/api/v1/query").respond(503, json={
        "status": "error", "errorType": "timeout", "error": "query timed out"})
    with pytest.raises(TelemetryUnavailable, match="timeout: query timed out"):
        Metrics(PROM).query("up")


def test_an_unreachable_prometheus_is_one_line_with_the_fix():
    port = closed_port()
    with pytest.raises(TelemetryUnavailable) as info:
        Metrics(f"http://127.0.0.1:{port}").query("up")
    assert info.value.one_line().startswith(
        f"error: Prometheus does not answer at http://127.0.0.1:{port}/api/v1/query")


@respx.mock(assert_all_mocked=True)
def test_federate_asks_for_every_job(respx_mock):
    route = respx_mock.get(f"{PROM}/federate").respond(text="up{job=\"services\"} 1 1\n")
    assert Metrics(PROM).federate().startswith("up{")
    assert route.calls.last.request.url.params.get_list("match[]") == ['{job=~".+"}']
