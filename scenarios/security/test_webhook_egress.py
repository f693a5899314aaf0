"""The webhook gateway sits on both networks: it must not deliver into the private one."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]


@pytest.mark.parametrize(
    "url",
    [
        "http://postgres:5432/",  # a private service by name
        "http://catalog:8000/internal/products/x",
        "http://127.0.0.1:8000/",  # the webhook gateway itself
    ],
)
def test_a_subscriber_url_inside_the_vpc_is_refused(enrolled_client, url):
    response = enrolled_client.post(
        "/v1/webhooks/subscriptions", json={"url": url, "events": ["order.paid"]}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "refused" in response.json()["detail"]
    listed = enrolled_client.get("/v1/webhooks/subscriptions").json()["items"]
    assert all(s["url"] != url for s in listed)
