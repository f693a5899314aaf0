"""`/internal/` answers nothing from outside the private network, on any port, and the
alert sink answers only Alertmanager's bearer token."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_webhook_gateways_own_port_serves_no_internal_route(sandbox, method):
    url = f"{sandbox.url('webhooks')}/internal/alerts"
    r = httpx.request(method, url, json={"alerts": [{"labels": {"alertname": "Forged"}}]},
                      headers={"Authorization": f"Bearer {sandbox.secret('alerts/sink_token')}"},
                      timeout=10)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_alert_sink_refuses_a_private_caller_without_the_token(sandbox):
    code, out = sandbox.exec("auth", [
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "-X", "POST",
        "-H", "content-type: application/json", "--data", '{"alerts": []}',
        "http://webhooks:8000/internal/alerts"])
    assert (code, out) == (0, "401")


def test_the_alert_sink_takes_alerts_with_the_token_from_inside(sandbox):
    token = sandbox.secret("alerts/sink_token")
    code, out = sandbox.exec("auth", [
        "curl", "-s", "-m", "5", "-X", "POST", "-H", "content-type: application/json",
        "-H", f"Authorization: Bearer {token}",
        "--data", json.dumps({"status": "firing", "alerts": [
            {"status": "firing", "labels": {"alertname": "SinkCheck"}, "annotations": {}}]}),
        "http://webhooks:8000/internal/alerts"])
    assert code == 0 and '"stored":1' in out.replace(" ", ""), out
