"""Links through the proxy: declaration, port allocation, variables, populate config,
the real topology's wiring, and ``Sandbox.links()`` / ``sandbox status --links``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from sandbox import cli
from sandbox import links as L
from sandbox.errors import TopologyError
from sandbox.links import Link, ProxySpec
from sandbox.runtime.engine import Sandbox
from sandbox.runtime.state import RunState
from sandbox.topology import compose_file, load_topology
from tests.toxiproxy.netutil import proxy_with_config

ROOT = Path(__file__).resolve().parents[1]

COMPOSE = """
x-sandbox:
  proxy: {service: proxy, first_port: 30000}
x-db-env: &db-env
  DB: ${LINK_TO_DB_HOST}:${LINK_TO_DB_PORT}
services:
  proxy:
    image: p
    environment: {CONFIG: "${SANDBOX_LINKS_JSON}", COUNT: "${SANDBOX_LINK_COUNT}"}
    healthcheck: {test: ["CMD", "true"]}
  db:
    image: d
    healthcheck: {test: ["CMD", "true"]}
  web:
    image: w
    x-sandbox: {links: ["db:5432", "api:8000"]}
    environment:
      <<: *db-env
      API: http://${LINK_TO_API_HOST}:${LINK_TO_API_PORT}
    depends_on: {db: {condition: service_healthy}}
  web-worker:
    image: w
    x-sandbox: {links: ["db:5432"]}
    environment:
      <<: *db-env
      WEB_DB_PORT: ${LINK_WEB_DB_PORT}
  api:
    image: a
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return path


# --- the pieces -----------------------------------------------------------------------
def test_parse_links_takes_target_and_port():
    assert L.parse_links(["postgres:5432", "my-api:8000"], "w") == [
        ("postgres", 5432), ("my-api", 8000)
    ]
    assert L.parse_links(None, "w") == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("postgres:5432", "must be a list"),
        (["postgres"], "bad link"),
        ([":5432"], "bad link"),
        (["postgres:http"], "not a port number"),
        (["postgres:70000"], "not a port number"),
        (["postgres:5432", "postgres:5433"], "a second link to postgres"),
    ],
)
def test_parse_links_rejects(raw, message):
    with pytest.raises(TopologyError, match=message):
        L.parse_links(raw, "services.web.x-sandbox.links")


def test_parse_proxy_defaults_and_errors():
    assert L.parse_proxy({"service": "toxiproxy"}, "p") == ProxySpec("toxiproxy", 8474, 20000)
    assert L.parse_proxy(None, "p") is None
    with pytest.raises(TopologyError, match="naming the proxy's service"):
        L.parse_proxy({"first_port": 1}, "p")
    with pytest.raises(TopologyError, match="not a port number"):
        L.parse_proxy({"service": "t", "first_port": "x"}, "p")


def test_allocate_gives_one_port_per_link_in_name_order():
    links = L.allocate(
        {"web": [("db", 5432), ("api", 8000)], "api": [("db", 5432)]}, ProxySpec("px", 8474, 100)
    )
    assert [(x.name, x.listen_port) for x in links] == [
        ("api->db", 100), ("web->api", 101), ("web->db", 102)
    ]
    assert links[1].upstream == "api:8000" and links[1].listen == "0.0.0.0:101"


def test_variables_global_local_and_populate_config():
    proxy = ProxySpec("px", 8474, 100)
    links = (Link("web-worker", "db", 5432, 100), Link("web", "db", 5432, 101))
    variables = L.link_variables(links, proxy)
    assert variables["LINK_WEB_WORKER_DB_HOST"] == "px"
    assert variables["LINK_WEB_WORKER_DB_PORT"] == "100"
    assert variables["LINK_WEB_DB_PORT"] == "101"
    assert variables["SANDBOX_LINK_COUNT"] == "2"
    assert json.loads(variables["SANDBOX_LINKS_JSON"]) == L.populate_config(links) == [
        {"name": "web-worker->db", "listen": "0.0.0.0:100", "upstream": "db:5432",
         "enabled": True},
        {"name": "web->db", "listen": "0.0.0.0:101", "upstream": "db:5432", "enabled": True},
    ]
    assert L.local_variables(links, "web", proxy) == {
        "LINK_TO_DB_HOST": "px", "LINK_TO_DB_PORT": "101"
    }
    assert L.local_variables(links, "api", proxy) == {}
    assert L.link_variables(links, None) == {}


def test_references_finds_link_variables_only():
    tree = {"a": "${LINK_TO_DB_HOST}:$LINK_TO_DB_PORT", "b": ["${SECRET_X}", "${LINK_A_B_PORT}"]}
    assert L.references(tree) == {"LINK_TO_DB_HOST", "LINK_TO_DB_PORT", "LINK_A_B_PORT"}


# --- in the topology ----------------------------------------------------------------------
def test_topology_wires_links_into_environment_and_dependencies(tmp_path):
    topo = load_topology(write(tmp_path, COMPOSE), {})
    assert [x.name for x in topo.links] == ["web->api", "web->db", "web-worker->db"]
    assert [x.listen_port for x in topo.links] == [30000, 30001, 30002]
    assert topo.proxy == ProxySpec("proxy", 8474, 30000)
    web, worker = topo.services["web"], topo.services["web-worker"]
    assert web.environment == {"DB": "proxy:30001", "API": "http://proxy:30000"}
    assert worker.environment == {"DB": "proxy:30002", "WEB_DB_PORT": "30001"}
    # a service with links starts once the proxy is healthy; its own deps are kept
    assert web.depends_on == {"db": "service_healthy", "proxy": "service_healthy"}
    assert worker.depends_on == {"proxy": "service_healthy"}
    assert topo.services["api"].depends_on == {}
    proxy_env = topo.services["proxy"].environment
    assert json.loads(proxy_env["CONFIG"]) == L.populate_config(topo.links)
    assert proxy_env["COUNT"] == "3"
    assert topo.waves()[0] == ["api", "db", "proxy"]
    assert topo.link("web-worker->db").upstream == "db:5432"
    with pytest.raises(TopologyError, match="no link 'web->cache'"):
        topo.link("web->cache")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a LINK_TO_ variable of a link the service does not declare
        (lambda t: t.replace('links: ["db:5432"]}', "links: []}"), "uses \\$\\{LINK_TO_DB_HOST\\}"),
        (lambda t: t.replace("${LINK_WEB_DB_PORT}", "${LINK_WEB_CACHE_PORT}"),
         "LINK_WEB_CACHE_PORT.*names no link"),
        (lambda t: t.replace('"api:8000"', '"ghost:8000"'), "unknown service 'ghost'"),
        (lambda t: t.replace("  proxy: {service: proxy, first_port: 30000}\n", ""),
         "no proxy is declared"),
        (lambda t: t.replace("service: proxy,", "service: nope,"), "unknown service 'nope'"),
        (lambda t: t.replace('"api:8000"', '"proxy:8474"'), "cannot involve the proxy"),
        (lambda t: t.replace("first_port: 30000", "first_port: 8473"), "overlap the API port"),
        (lambda t: t.replace("first_port: 30000", "first_port: 65534"), "do not fit"),
        (lambda t: t.replace("    healthcheck: {test: [\"CMD\", \"true\"]}\n  db:",
                             "  db:"), "proxy has no healthcheck"),
    ],
)
def test_topology_rejects_bad_links(tmp_path, edit, message):
    with pytest.raises(TopologyError, match=message):
        load_topology(write(tmp_path, edit(COMPOSE)), {})


def test_names_that_would_share_variables_are_rejected(tmp_path):
    text = """
x-sandbox: {proxy: {service: proxy}}
services:
  proxy: {image: p, healthcheck: {test: ["CMD", "true"]}}
  c: {image: c}
  b-c: {image: c}
  a: {image: a, x-sandbox: {links: ["b-c:1"]}}
  a-b: {image: a, x-sandbox: {links: ["c:1"]}}
"""
    with pytest.raises(TopologyError, match="share variables LINK_A_B_C_"):
        load_topology(write(tmp_path, text), {})


# --- the real topology ------------------------------------------------------------------
PYTHON_SERVICES = ("auth", "monolith", "catalog", "payments", "webhooks")


@pytest.fixture(scope="module")
def real():
    return load_topology(compose_file(), {"NETWORK_PRIVATE_SUBNET": "10.9.0.0/24"})


def test_every_service_reaches_its_dependencies_through_its_own_links(real):
    proxy = real.proxy.service
    for base in PYTHON_SERVICES:
        for name in (base, f"{base}-worker"):
            env, port = real.services[name].environment, (lambda t: str(real.link(t).listen_port))
            assert (env["DATABASE_HOST"], env["DATABASE_PORT"]) == (proxy, port(f"{name}->postgres"))
            if name != "auth":  # the auth web app needs no broker
                assert (env["BROKER_HOST"], env["BROKER_PORT"]) == (proxy, port(f"{name}->broker"))
            if base == "catalog":
                assert (env["CACHE_HOST"], env["CACHE_PORT"]) == (proxy, port(f"{name}->cache"))
            deps = real.services[name].depends_on
            assert deps[proxy] == deps["postgres"] == deps["secrets"] == "service_healthy"
            assert deps["broker"] == "service_started"
    monolith = real.services["monolith"].environment
    assert monolith["CATALOG_URL"] == f"http://{proxy}:{real.link('monolith->catalog').listen_port}"
    gateway = real.services["gateway"].environment
    for target in PYTHON_SERVICES:
        link = real.link(f"gateway->{target}")
        assert gateway[f"{target.upper()}_UPSTREAM"] == f"{proxy}:{link.listen_port}"
        assert link.upstream == f"{target}:8000"
    payments_worker = real.services["payments-worker"].environment
    egress = real.link("payments-worker->egress")
    assert payments_worker["EGRESS_PROXY_URL"] == f"http://{proxy}:{egress.listen_port}"
    assert egress.upstream == "egress:3128"
    assert len(real.links) == 29


def test_the_proxy_starts_first_with_every_link_and_a_real_check(real):
    proxy = real.services[real.proxy.service]
    assert proxy.depends_on == {} and proxy.networks == ("private",)
    # the links reach it through its REST API (POST /populate), the data on the container
    assert json.loads(proxy.environment["SANDBOX_LINKS_JSON"]) == L.populate_config(real.links)
    assert proxy.environment["SANDBOX_LINK_COUNT"] == str(len(real.links))
    assert "/proxies" in proxy.healthcheck.test[1]
    assert "SANDBOX_LINK_COUNT" in proxy.healthcheck.test[1]
    # flags both the project's server and the official one take; the image is selectable
    assert proxy.command == ("--host", "0.0.0.0", "--port", str(real.proxy.api_port))
    assert proxy.recipe == "toxiproxy" and proxy.image == "sandbox/toxiproxy"
    # its API is published on 127.0.0.1 through the gateway's consoles
    gateway = real.services["gateway"]
    assert gateway.consoles[real.proxy.api_port] == real.proxy.service
    assert any(p.container_port == real.proxy.api_port for p in gateway.ports)


def test_gateway_entrypoint_substitutes_every_template_variable():
    template = (ROOT / "compose/nginx/gateway.conf.template").read_text()
    entrypoint = (ROOT / "compose/images/gateway/entrypoint.sh").read_text()
    templated = set(re.findall(r"\$\{(\w+)\}", template))
    [listed] = re.findall(r"envsubst '([^']*)'", entrypoint)
    assert set(re.findall(r"\$\{(\w+)\}", listed)) == templated
    assert "listen 8474;" in template and "toxiproxy:8474" in template


def test_the_proxy_image_carries_the_proxy_package_and_starts_the_server():
    recipe = (ROOT / "compose/images/toxiproxy/recipe.toml").read_text()
    assert '"sandbox/toxiproxy/**/*"' in recipe and '"sandbox/__init__.py"' in recipe
    dockerfile = (ROOT / "compose/images/toxiproxy/Dockerfile").read_text()
    assert 'ENTRYPOINT ["python3", "-m", "sandbox.toxiproxy"]' in dockerfile


def test_the_official_image_selected_by_variable():
    topo = load_topology(compose_file(), {"NETWORK_PRIVATE_SUBNET": "10.9.0.0/24",
                                          "SANDBOX_IMAGE_TOXIPROXY": "sandbox/toxiproxy-official:abc"})
    assert topo.services[topo.proxy.service].image == "sandbox/toxiproxy-official:abc"


# --- reading them back -------------------------------------------------------------------
@pytest.fixture
def proxy_server(tmp_path):
    config = [
        {"name": "web->db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9",
         "toxics": [{"name": "slow", "type": "latency", "stream": "downstream",
                     "attributes": {"latency": 300, "jitter": 0}}]},
        {"name": "api->db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9", "enabled": False},
    ]
    with proxy_with_config(tmp_path, config) as server:
        yield server


def fake_sandbox(url: str) -> Sandbox:
    state = RunState("r1", "p", "test", "detached", 1, urls={"toxiproxy": url}, proxy="toxiproxy")
    return Sandbox(state, SimpleNamespace(name="p"))  # type: ignore[arg-type]


def test_sandbox_links_and_status_links(proxy_server, monkeypatch, capsys):
    sb = fake_sandbox(proxy_server.url)
    links = sb.links()
    assert [x["name"] for x in links] == ["api->db", "web->db"]
    assert links[0]["enabled"] is False and links[1]["enabled"] is True
    assert links[1]["toxics"][0]["attributes"]["latency"] == 300
    monkeypatch.setattr(Sandbox, "attach", classmethod(lambda cls: sb))
    assert cli.main(["status", "--links"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "run r1: 2 links"
    assert out[1].split() == ["LINK", "LISTEN", "UPSTREAM", "ENABLED", "TOXICS"]
    assert out[2].split()[0::3] == ["api->db", "NO"] and out[2].endswith("-")
    assert out[3].split()[-1] == "slow=latency/downstream(jitter=0,latency=300)"
    assert cli.main(["status", "--links", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["links"] == links


def test_links_without_an_answering_proxy_is_one_line(monkeypatch, capsys):
    sb = fake_sandbox("http://127.0.0.1:9")
    monkeypatch.setattr(Sandbox, "attach", classmethod(lambda cls: sb))
    assert cli.main(["status", "--links"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the links proxy does not answer" in err
    state = RunState("r1", "p", "test", "detached", 1)
    with pytest.raises(Exception, match="no links proxy"):
        Sandbox(state, SimpleNamespace(name="p")).links()  # type: ignore[arg-type]
