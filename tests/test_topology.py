"""The compose file -> typed model: interpolation, validation, start waves."""

from pathlib import Path

import pytest

from sandbox.errors import TopologyError
from sandbox.topology import Port, interpolate, load_topology, parse_duration, parse_port

COMPOSE = """
x-sandbox:
  secrets: {db/password: password}
x-svc: &svc
  image: ${IMG:-sandbox/python}
  x-sandbox: {image: python}
  networks: [private]
  healthcheck:
    test: ["CMD-SHELL", "test \\"$$PW\\" = x"]
    interval: 1m30s
    timeout: 500ms
services:
  db:
    <<: *svc
    environment: {PW: "${SECRET_DB_PASSWORD}", ENV: "${SANDBOX_ENV-dev}"}
  app:
    <<: *svc
    command: ["python3", "-m", "app"]
    networks: [public, private]
    ports: ["127.0.0.1:${SANDBOX_APP_PORT:-}:8000", "9000"]
    depends_on: {db: {condition: service_healthy}}
  edge:
    image: nginx
    depends_on: [app]
networks:
  public: {}
  private: {internal: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return path


def test_loads_services_with_anchors_and_interpolation(tmp_path):
    topo = load_topology(write(tmp_path, COMPOSE), {"SECRET_DB_PASSWORD": "s3"})
    db, app = topo.services["db"], topo.services["app"]
    assert db.image == "sandbox/python" and db.recipe == "python"
    assert db.environment == {"PW": "s3", "ENV": "dev"}
    assert db.healthcheck.test == ("CMD-SHELL", 'test "$PW" = x')
    assert (db.healthcheck.interval, db.healthcheck.timeout) == (90.0, 0.5)
    assert app.command == ("python3", "-m", "app")
    assert app.ports == (
        Port("127.0.0.1", None, 8000, "tcp", "SANDBOX_APP_PORT"),
        Port("127.0.0.1", None, 9000, "tcp", None),
    )
    assert app.depends_on == {"db": "service_healthy"}
    assert topo.services["edge"].depends_on == {"app": "service_started"}
    assert topo.networks["private"].internal and not topo.networks["public"].internal
    assert topo.secrets == {"db/password": "password"}
    assert topo.recipes() == {"python"}


def test_fixed_port_from_variable(tmp_path):
    topo = load_topology(write(tmp_path, COMPOSE), {"SANDBOX_APP_PORT": "8081"})
    assert topo.services["app"].ports[0].host_port == 8081


def test_waves_follow_dependencies(tmp_path):
    assert load_topology(write(tmp_path, COMPOSE), {}).waves() == [["db"], ["app"], ["edge"]]


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${A}", {}, ""),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A-d}", {}, "d"),
        ("$A/$$B", {"A": "x"}, "x/$B"),
        ("a$$", {}, "a$"),
    ],
)
def test_interpolation_follows_compose(text, variables, expected):
    assert interpolate(text, variables, "k") == expected


def test_required_variable_names_it():
    with pytest.raises(TopologyError, match="variable X is required"):
        interpolate("${X:?set it}", {}, "services.a")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8080", Port("127.0.0.1", None, 8080)),
        ("8000:8080", Port("127.0.0.1", 8000, 8080)),
        ("127.0.0.1::8080/udp", Port("127.0.0.1", None, 8080, "udp")),
        ({"target": 80, "published": "81"}, Port("127.0.0.1", 81, 80)),
    ],
)
def test_port_syntax(spec, expected):
    assert parse_port(spec, "p") == expected


@pytest.mark.parametrize("spec", ["80-90", "x:80", "1:2:3:4", "80/sctp", "70000"])
def test_bad_port_syntax(spec):
    with pytest.raises(TopologyError, match="bad port"):
        parse_port(spec, "p")


def test_durations():
    assert parse_duration("1h2m3s", "d") == 3723.0
    with pytest.raises(TopologyError):
        parse_duration("5 parsecs", "d")


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("depends_on: [app]", "depends_on: [nosuch]", "unknown service 'nosuch'"),
        ("networks: [public, private]", "networks: [public, dmz]", "unknown network 'dmz'"),
        ('"9000"', '"90x0"', "bad port"),
        ("depends_on: [app]", "depends_on: [edge]", "cycle among"),
    ],
)
def test_validation_errors_name_file_and_key(tmp_path, replace, by, message):
    path = write(tmp_path, COMPOSE.replace(replace, by, 1))
    with pytest.raises(TopologyError, match=message) as info:
        load_topology(path, {})
    assert str(path) in info.value.cause and info.value.fix


def test_cycle_between_two_services(tmp_path):
    text = "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n"
    with pytest.raises(TopologyError, match=r"cycle among \['a', 'b'\]"):
        load_topology(write(tmp_path, text), {})


def test_yaml_syntax_error_gives_line(tmp_path):
    path = write(tmp_path, "services:\n  a:\n    image: x\n   bad: [\n")
    with pytest.raises(TopologyError, match="line 4"):
        load_topology(path, {})


def test_healthy_condition_needs_a_healthcheck(tmp_path):
    text = "services:\n  a: {image: x}\n  b: {image: x, depends_on: {a: {condition: service_healthy}}}\n"
    with pytest.raises(TopologyError, match="a has no healthcheck"):
        load_topology(write(tmp_path, text), {})


def test_project_compose_file_loads(monkeypatch):
    from sandbox.topology import compose_file

    monkeypatch.delenv("SANDBOX_COMPOSE_FILE", raising=False)
    topo = load_topology(compose_file(), {})
    assert topo.waves()[-1] == ["gateway"]


def test_project_compose_publishes_consoles_through_the_gateway():
    """Private-only services cannot publish ports (internal network): the gateway does."""
    from sandbox.topology import compose_file

    topo = load_topology(compose_file(), {})
    gateway = topo.services["gateway"]
    assert gateway.consoles == {
        9090: "prometheus", 9093: "alertmanager", 15672: "broker", 8474: "toxiproxy",
        16686: "tracestore",
    }
    published = {p.container_port for p in gateway.ports}
    assert set(gateway.consoles) <= published
    for name in ("postgres", "broker", "cache", "prometheus", "alertmanager", "toxiproxy"):
        assert topo.services[name].networks == ("private",)
        assert topo.services[name].ports == ()
    assert topo.networks["private"].internal


def test_console_naming_an_unknown_service_is_rejected(tmp_path):
    text = COMPOSE.replace("  edge:\n", "  edge:\n    x-sandbox: {consoles: {9090: nowhere}}\n", 1)
    with pytest.raises(TopologyError, match="nowhere"):
        load_topology(write(tmp_path, text), {})


def test_cpu_shares_is_read_and_checked(tmp_path):
    text = COMPOSE.replace("  edge:\n", "  edge:\n    cpu_shares: 2048\n", 1)
    assert load_topology(write(tmp_path, text), {}).services["edge"].cpu_shares == 2048
    with pytest.raises(TopologyError, match="cpu_shares"):
        load_topology(write(tmp_path, text.replace("2048", "lots")), {})


def test_user_is_read(tmp_path):
    text = COMPOSE.replace("  edge:\n", "  edge:\n    user: root\n", 1)
    topo = load_topology(write(tmp_path, text), {})
    assert topo.services["edge"].user == "root"
    assert all(s.user is None for n, s in topo.services.items() if n != "edge")


def test_service_secrets_are_names_of_declared_secrets(tmp_path):
    text = COMPOSE.replace("  edge:\n", "  edge:\n    secrets: [db/password, {source: api/key}]\n", 1)
    text = text.replace("secrets: {db/password: password}", "secrets: {db/password: password, api/key: token}")
    topo = load_topology(write(tmp_path, text), {})
    assert topo.services["edge"].secrets == ("db/password", "api/key")
    everything = text.replace("    secrets: [db/password, {source: api/key}]\n",
                              "    x-sandbox: {secrets: all}\n")
    assert load_topology(write(tmp_path, everything), {}).services["edge"].secrets == (
        "db/password", "api/key")
    with pytest.raises(TopologyError, match="unknown secret 'nope'"):
        load_topology(write(tmp_path, text.replace("api/key}]", "nope}]")), {})
    with pytest.raises(TopologyError, match="no other target"):
        load_topology(write(tmp_path, text.replace("{source: api/key}", "{source: api/key, target: x}")), {})
