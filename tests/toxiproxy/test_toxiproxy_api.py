"""The REST API's shapes and status codes, over raw HTTP. Written to pass against the
official Toxiproxy 2.x server too (where ours differs or extends, the test says so)."""

from __future__ import annotations

import httpx
import pytest

from tests.toxiproxy.netutil import EchoServer, ServerProcess, address

pytestmark = pytest.mark.timeout(30)


def create(api: httpx.Client, name: str, upstream: str, **extra: object) -> dict:
    response = api.post(
        "/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_proxy_create_answers_201_with_the_bound_address(api: httpx.Client, echo: EchoServer):
    proxy = create(api, "db", echo.upstream)
    assert proxy == {
        "name": "db",
        "listen": proxy["listen"],
        "upstream": echo.upstream,
        "enabled": True,
        "Logger": {},  # Toxiproxy's Go server shows its logger field; ours too
        "toxics": [],
    }
    host, port = address(proxy["listen"])
    assert host == "127.0.0.1" and port > 0


def test_proxy_index_is_an_object_by_name(api: httpx.Client, echo: EchoServer):
    create(api, "a", echo.upstream)
    create(api, "b", echo.upstream, enabled=False)
    proxies = api.get("/proxies").json()
    assert set(proxies) == {"a", "b"}
    assert proxies["b"]["enabled"] is False
    assert api.get("/proxies/a").json()["name"] == "a"


def test_duplicate_proxy_is_409(api: httpx.Client, echo: EchoServer):
    create(api, "dup", echo.upstream)
    response = api.post(
        "/proxies", json={"name": "dup", "upstream": echo.upstream, "listen": "127.0.0.1:0"}
    )
    assert response.status_code == 409
    assert response.json() == {"error": "proxy already exists", "status": 409}


def test_unknown_proxy_is_404_everywhere(api: httpx.Client):
    expected = {"error": "proxy not found", "status": 404}
    for method, path in [
        ("GET", "/proxies/nope"),
        ("DELETE", "/proxies/nope"),
        ("GET", "/proxies/nope/toxics"),
        ("POST", "/proxies/nope/toxics"),
    ]:
        response = api.request(method, path, json={"type": "latency"})
        assert response.status_code == 404, (method, path)
        assert response.json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"upstream": "127.0.0.1:1"},  # no name
        {"name": "x"},  # no upstream
    ],
)
def test_missing_fields_are_400(api: httpx.Client, body: dict):
    response = api.post("/proxies", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("missing required field")


def test_bad_json_is_400(api: httpx.Client):
    response = api.post(
        "/proxies", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body")


def test_toxic_create_defaults_and_shapes(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream)
    response = api.post(
        "/proxies/p/toxics", json={"type": "latency", "attributes": {"latency": 100}}
    )
    assert response.status_code == 200  # the Go server answers 200 here, not 201
    toxic = response.json()
    assert toxic["name"] == "latency_downstream"
    assert toxic["stream"] == "downstream"
    assert toxic["toxicity"] == 1
    assert toxic["attributes"]["latency"] == 100 and toxic["attributes"]["jitter"] == 0
    assert api.get("/proxies/p/toxics").json() == [toxic]
    assert api.get("/proxies/p/toxics/latency_downstream").json() == toxic
    assert api.get("/proxies/p").json()["toxics"] == [toxic]


def test_toxic_errors(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream)
    ok = {"type": "timeout", "stream": "upstream", "attributes": {"timeout": 10}}
    assert api.post("/proxies/p/toxics", json=ok).status_code == 200
    dup = api.post("/proxies/p/toxics", json=ok)
    assert dup.status_code == 409
    assert dup.json() == {"error": "toxic already exists", "status": 409}
    bad_type = api.post("/proxies/p/toxics", json={"type": "nonsense"})
    assert bad_type.json() == {"error": "invalid toxic type", "status": 400}
    bad_stream = api.post("/proxies/p/toxics", json={"type": "latency", "stream": "sideways"})
    assert bad_stream.status_code == 400
    assert bad_stream.json()["error"].startswith("stream was invalid")
    bad_attr = api.post(
        "/proxies/p/toxics",
        json={"type": "latency", "name": "l2", "attributes": {"latency": "slow"}},
    )
    assert bad_attr.status_code == 400
    missing = api.get("/proxies/p/toxics/nope")
    assert missing.json() == {"error": "toxic not found", "status": 404}
    assert api.delete("/proxies/p/toxics/nope").status_code == 404


def test_toxic_update_keeps_unset_attributes(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream)
    api.post(
        "/proxies/p/toxics",
        json={"type": "latency", "name": "lat", "attributes": {"latency": 100, "jitter": 5}},
    )
    response = api.post(
        "/proxies/p/toxics/lat", json={"attributes": {"latency": 7}, "toxicity": 0.5}
    )
    assert response.status_code == 200
    toxic = response.json()
    assert toxic["attributes"] == {"latency": 7, "jitter": 5}
    assert toxic["toxicity"] == 0.5
    patched = api.patch("/proxies/p/toxics/lat", json={"attributes": {"jitter": 0}})
    assert patched.json()["attributes"] == {"latency": 7, "jitter": 0}


def test_toxic_delete_is_204(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream)
    api.post("/proxies/p/toxics", json={"type": "bandwidth", "attributes": {"rate": 10}})
    response = api.delete("/proxies/p/toxics/bandwidth_downstream")
    assert response.status_code == 204 and response.content == b""
    assert api.get("/proxies/p/toxics").json() == []


def test_proxy_update_disables_and_enables(api: httpx.Client, echo: EchoServer):
    listen = create(api, "p", echo.upstream)["listen"]
    disabled = api.patch("/proxies/p", json={"enabled": False})
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False
    enabled = api.post("/proxies/p", json={"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["listen"] == listen


def test_proxy_delete_is_204(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream)
    assert api.delete("/proxies/p").status_code == 204
    assert api.get("/proxies/p").status_code == 404


def test_populate_creates_and_keeps_unchanged(api: httpx.Client, echo: EchoServer):
    body = [
        {"name": "one", "listen": "127.0.0.1:0", "upstream": echo.upstream},
        {"name": "two", "listen": "127.0.0.1:0", "upstream": echo.upstream, "enabled": False},
    ]
    response = api.post("/populate", json=body)
    assert response.status_code == 201
    proxies = response.json()["proxies"]
    assert [p["name"] for p in proxies] == ["one", "two"]
    assert [p["enabled"] for p in proxies] == [True, False]
    again = [{"name": "one", "listen": proxies[0]["listen"], "upstream": echo.upstream}]
    kept = api.post("/populate", json=again).json()["proxies"]
    assert kept[0]["listen"] == proxies[0]["listen"]


def test_populate_rejects_bad_input_before_changing_anything(api: httpx.Client):
    response = api.post(
        "/populate",
        json=[
            {"name": "ok", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:0"},
            {"listen": "127.0.0.1:0"},
        ],
    )
    assert response.status_code == 400
    assert "missing required field" in response.json()["error"]
    assert api.get("/proxies").json() == {}


def test_populate_declares_toxics(api: httpx.Client, echo: EchoServer, server: object):
    """Beyond Toxiproxy (its issue #447): toxics in the populate config."""
    if not isinstance(server, ServerProcess):
        pytest.skip("an extension of ours: Toxiproxy accepts and ignores populate's toxics")
    body = [
        {
            "name": "t",
            "listen": "127.0.0.1:0",
            "upstream": echo.upstream,
            "toxics": [{"type": "latency", "stream": "upstream", "attributes": {"latency": 20}}],
        }
    ]
    proxies = api.post("/populate", json=body).json()["proxies"]
    assert [t["name"] for t in proxies[0]["toxics"]] == ["latency_upstream"]
    assert api.get("/proxies/t/toxics").json()[0]["attributes"]["latency"] == 20


def test_reset_enables_all_and_removes_toxics(api: httpx.Client, echo: EchoServer):
    create(api, "p", echo.upstream, enabled=False)
    create(api, "q", echo.upstream)
    api.post("/proxies/q/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    assert api.post("/reset").status_code == 204
    proxies = api.get("/proxies").json()
    assert proxies["p"]["enabled"] is True
    assert proxies["q"]["toxics"] == []


def test_version_is_json(api: httpx.Client):
    response = api.get("/version")
    assert response.status_code == 200
    assert response.json()["version"].startswith("2.")


def test_browsers_are_refused(api: httpx.Client):
    response = api.get("/proxies", headers={"user-agent": "Mozilla/5.0"})
    assert response.status_code == 403
