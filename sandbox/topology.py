"""The compose file as a typed, frozen model: services, networks, dependencies, secrets.

    load_topology(path, variables) -> Topology
      YAML (anchors, merge keys) -> links (x-sandbox.links, sandbox/links.py): a port
      each, their variables -> interpolate ${VAR} in every string value (each service
      also sees its own LINK_TO_<TARGET>_*) -> validate

Interpolation follows compose: ``${VAR}`` and ``$VAR`` (empty when unset),
``${VAR:-default}`` (default when unset or empty), ``${VAR-default}`` (default when unset),
``${VAR:?message}`` / ``${VAR?message}`` (an error), ``$$`` (a literal ``$``).

>>> interpolate("a-${X:-b}-$$Y-${Z-z}", {"X": ""}, "x")
'a-b-$Y-z'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sandbox import links as L
from sandbox.errors import TopologyError
from sandbox.links import Link, ProxySpec

CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_VAR = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)|(?P<invalid>))"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class Port:
    """A published port: ``host_port`` None means Docker picks a free one."""

    host_ip: str
    host_port: int | None
    container_port: int
    protocol: str = "tcp"
    variable: str | None = None  # the variable that set host_port, to name in errors


@dataclass(frozen=True)
class Healthcheck:
    """A compose healthcheck: ``test`` keeps its form (``["CMD", ...]`` or ``["CMD-SHELL", s]``)."""

    test: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0


@dataclass(frozen=True)
class Service:
    """One service of the topology; ``recipe`` is ``x-sandbox.image`` (the image recipe)."""

    name: str
    image: str
    recipe: str | None = None
    command: tuple[str, ...] | str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    networks: tuple[str, ...] = ()
    ports: tuple[Port, ...] = ()
    depends_on: Mapping[str, str] = field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    # x-sandbox.consoles: container port -> the private service whose console it forwards
    consoles: Mapping[int, str] = field(default_factory=dict)
    cpu_shares: int | None = None  # compose `cpu_shares`: relative CPU weight under contention
    user: str | None = None  # compose `user`: who the container's process starts as
    # compose `secrets` (names of x-sandbox.secrets), as files under /run/secrets;
    # `x-sandbox.secrets: all` gives the service every secret (the secrets emulator)
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Network:
    """A network of the topology; ``internal`` networks have no route out."""

    name: str
    internal: bool = False


@dataclass(frozen=True)
class Topology:
    """The whole compose file. ``secrets`` maps a secret name to its kind."""

    path: Path
    services: Mapping[str, Service]
    networks: Mapping[str, Network]
    secrets: Mapping[str, str]
    name: str | None = None
    links: tuple[Link, ...] = ()  # x-sandbox.links of every service, in name order
    proxy: ProxySpec | None = None  # x-sandbox.proxy: the service the links go through

    def link(self, name: str) -> Link:
        """The link called ``name`` (``catalog->postgres``)."""
        for link in self.links:
            if link.name == name:
                return link
        raise TopologyError(
            f"{self.path}: no link {name!r}", f"use one of {[x.name for x in self.links]}"
        )

    def waves(self) -> list[list[str]]:
        """Start order: each wave depends only on earlier waves (sorted for stability)."""
        done: set[str] = set()
        waves: list[list[str]] = []
        while len(done) < len(self.services):
            wave = sorted(
                n for n, s in self.services.items() if n not in done and set(s.depends_on) <= done
            )
            if not wave:  # validated away at load time
                raise TopologyError(f"{self.path}: dependency cycle", "break the cycle")
            waves.append(wave)
            done.update(wave)
        return waves

    def recipes(self) -> set[str]:
        """The image recipes the services name in ``x-sandbox.image``."""
        return {s.recipe for s in self.services.values() if s.recipe}


def interpolate(value: str, variables: Mapping[str, str], where: str) -> str:
    """Apply compose interpolation to one string; ``where`` names the key for errors."""

    def replace(m: re.Match[str]) -> str:
        if m.group("escaped"):
            return "$"
        if m.group("named"):
            return variables.get(m.group("named"), "")
        name = m.group("braced")
        if name is None:
            raise TopologyError(
                f"{where}: invalid interpolation in {value!r}", "write $$ for a literal $"
            )
        op, arg, current = m.group("op"), m.group("arg") or "", variables.get(name)
        missing = current is None or (op is not None and op.startswith(":") and current == "")
        if op in ("-", ":-"):
            return arg if missing else str(current)
        if op in ("?", ":?") and missing:
            raise TopologyError(f"{where}: variable {name} is required: {arg}", f"set {name}")
        return current or ""

    return _VAR.sub(replace, value)


def _interpolate_tree(node: Any, variables: Mapping[str, str], where: str) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables, where)
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, variables, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, variables, f"{where}[{i}]") for i, v in enumerate(node)]
    return node


def parse_duration(text: Any, where: str) -> float:
    """``"1m30s"`` -> 90.0; numbers are seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip()
    if not s or _DURATION.sub("", s):
        raise TopologyError(f"{where}: bad duration {text!r}", "write durations like 5s, 500ms, 1m")
    return sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(s))


def parse_port(spec: Any, where: str) -> Port:
    """``"127.0.0.1::8080"``, ``"8000:8080"``, ``"8080/tcp"`` or the long form -> Port."""
    fix = 'write ports as "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]"'
    if isinstance(spec, dict):
        try:
            published = spec.get("published")
            return Port(
                str(spec.get("host_ip") or "127.0.0.1"),
                int(published) if published not in (None, "") else None,
                int(spec["target"]),
                str(spec.get("protocol", "tcp")),
            )
        except (KeyError, TypeError, ValueError):
            raise TopologyError(f"{where}: bad port {spec!r}", fix) from None
    text, _, proto = str(spec).partition("/")
    parts = text.rsplit(":", 2) if text.count(":") <= 2 else None
    try:
        if not parts or not proto and "/" in str(spec) or proto not in ("", "tcp", "udp"):
            raise ValueError
        container = int(parts[-1])
        host = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
        host_port = int(host) if host else None
        if not (0 < container < 65536) or (host_port is not None and not 0 < host_port < 65536):
            raise ValueError
    except ValueError:
        raise TopologyError(f"{where}: bad port {spec!r}", fix) from None
    return Port(host_ip or "127.0.0.1", host_port, container, proto or "tcp")


def _healthcheck(raw: Any, where: str) -> Healthcheck | None:
    if raw is None or not isinstance(raw, dict):
        if raw is not None:
            raise TopologyError(f"{where}: healthcheck must be a mapping", "see the compose spec")
        return None
    if raw.get("disable"):
        return None
    test = raw.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not isinstance(test, list) or not test or test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise TopologyError(
            f"{where}.test: expected [CMD, ...], [CMD-SHELL, cmd] or a string, got {test!r}",
            "fix the healthcheck test",
        )
    if test[0] == "NONE":
        return None
    return Healthcheck(
        tuple(str(t) for t in test),
        parse_duration(raw.get("interval", "30s"), f"{where}.interval"),
        parse_duration(raw.get("timeout", "30s"), f"{where}.timeout"),
        int(raw.get("retries", 3)),
        parse_duration(raw.get("start_period", 0), f"{where}.start_period"),
    )


def _depends_on(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, list):
        return {str(n): "service_started" for n in raw}
    if not isinstance(raw, dict):
        raise TopologyError(f"{where}: must be a list or a mapping", "see the compose spec")
    deps = {}
    for name, spec in raw.items():
        condition = (spec or {}).get("condition", "service_started")
        if condition not in CONDITIONS:
            raise TopologyError(
                f"{where}.{name}: unknown condition {condition!r}", f"use one of {CONDITIONS}"
            )
        deps[str(name)] = condition
    return deps


def _environment(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, list):
        return dict((str(i).split("=", 1) + [""])[:2] for i in raw)  # type: ignore[misc]
    if not isinstance(raw, dict):
        raise TopologyError(f"{where}: must be a mapping or a list", "see the compose spec")
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def _service(name: str, raw: Any, file: Path) -> Service:
    where = f"{file}: services.{name}"
    if not isinstance(raw, dict) or not raw.get("image"):
        raise TopologyError(f"{where}: no image", f"give services.{name} an image")
    command = raw.get("command")
    networks = raw.get("networks") or ["default"]
    if isinstance(networks, dict):
        networks = list(networks)
    return Service(
        name=name,
        image=str(raw["image"]),
        recipe=(raw.get("x-sandbox") or {}).get("image"),
        command=tuple(str(c) for c in command) if isinstance(command, list) else command,
        environment=_environment(raw.get("environment"), f"{where}.environment"),
        networks=tuple(str(n) for n in networks),
        ports=tuple(
            parse_port(p, f"{where}.ports[{i}]") for i, p in enumerate(raw.get("ports") or [])
        ),
        depends_on=_depends_on(raw.get("depends_on"), f"{where}.depends_on"),
        healthcheck=_healthcheck(raw.get("healthcheck"), f"{where}.healthcheck"),
        consoles=_consoles((raw.get("x-sandbox") or {}).get("consoles"), f"{where}.x-sandbox"),
        cpu_shares=_positive_int(raw.get("cpu_shares"), f"{where}.cpu_shares"),
        user=None if raw.get("user") is None else str(raw["user"]),
        secrets=_service_secrets(raw, where),
    )


ALL_SECRETS = "*"


def _service_secrets(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    """compose ``secrets:`` (short syntax, or long syntax with ``source`` only)."""
    if (raw.get("x-sandbox") or {}).get("secrets") == "all":
        return (ALL_SECRETS,)
    listed = raw.get("secrets") or []
    if not isinstance(listed, list):
        raise TopologyError(f"{where}.secrets: must be a list of secret names",
                            "write `secrets: [postgres/password]`")
    names = []
    for i, item in enumerate(listed):
        name = item.get("source") if isinstance(item, dict) and set(item) == {"source"} else item
        if not isinstance(name, str) or not name:
            raise TopologyError(f"{where}.secrets[{i}]: {item!r} is not a secret name",
                                "name an x-sandbox.secrets entry; each is mounted at "
                                "/run/secrets/<name>, no other target")
        names.append(name)
    return tuple(names)


def _expand_secrets(services: dict[str, Service], declared: Mapping[str, str],
                    path: Path) -> dict[str, Service]:
    out = {}
    for name, service in services.items():
        wanted = tuple(declared) if service.secrets == (ALL_SECRETS,) else service.secrets
        for secret in wanted:
            if secret not in declared:
                raise TopologyError(
                    f"{path}: services.{name}.secrets: unknown secret {secret!r}",
                    f"declare it under x-sandbox.secrets or use one of {sorted(declared)}")
        out[name] = replace(service, secrets=wanted)
    return out


def _positive_int(raw: Any, where: str) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise TopologyError(f"{where}: {raw!r} is not a positive whole number", "write e.g. 2048")
    return value


def _consoles(raw: Any, where: str) -> dict[int, str]:
    """``x-sandbox.consoles``: ``{container port: service}`` forwarded by this service."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TopologyError(f"{where}.consoles is not a mapping", "write `consoles: {9090: prometheus}`")
    try:
        return {int(port): str(service) for port, service in raw.items()}
    except (TypeError, ValueError):
        raise TopologyError(
            f"{where}.consoles has a port that is not a number", "use container port numbers as keys"
        ) from None


def _port_variables(raw: Any) -> list[str | None]:
    """The variable in the host part of each raw (not interpolated) port spec."""
    found: list[str | None] = []
    for spec in raw or []:
        text = str(spec.get("published", "")) if isinstance(spec, dict) else str(spec)
        host_part = text.rsplit(":", 1)[0] if not isinstance(spec, dict) else text
        m = re.search(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", host_part)
        found.append(m.group(1) if m else None)
    return found


def _with_port_variables(service: Service, raw: Any) -> Service:
    names = _port_variables(raw.get("ports") if isinstance(raw, dict) else None)
    ports = tuple(replace(p, variable=v) for p, v in zip(service.ports, names))
    return replace(service, ports=ports)


def _validate(topo: Topology) -> None:
    file = topo.path
    for s in topo.services.values():
        for net in s.networks:
            if net not in topo.networks:
                raise TopologyError(
                    f"{file}: services.{s.name}.networks: unknown network {net!r}",
                    f"declare it under networks: or use one of {sorted(topo.networks)}",
                )
        for port, target in s.consoles.items():
            if target not in topo.services:
                raise TopologyError(
                    f"{file}: services.{s.name}.x-sandbox.consoles.{port}: unknown service {target!r}",
                    f"use one of {sorted(topo.services)}",
                )
        for dep, condition in s.depends_on.items():
            if dep not in topo.services:
                raise TopologyError(
                    f"{file}: services.{s.name}.depends_on: unknown service {dep!r}",
                    f"use one of {sorted(topo.services)}",
                )
            if condition == "service_healthy" and topo.services[dep].healthcheck is None:
                raise TopologyError(
                    f"{file}: services.{s.name}.depends_on.{dep}: {dep} has no healthcheck",
                    f"give {dep} a healthcheck or use condition service_started",
                )
    remaining = {n: set(s.depends_on) for n, s in topo.services.items()}
    while remaining:
        free = {n for n, deps in remaining.items() if not deps & remaining.keys()}
        if not free:
            raise TopologyError(
                f"{file}: depends_on cycle among {sorted(remaining)}",
                "remove one of the depends_on entries that close the cycle",
            )
        for n in free:
            del remaining[n]


def _links(
    raw: dict[str, Any], variables: Mapping[str, str], path: Path
) -> tuple[ProxySpec | None, tuple[Link, ...]]:
    """``x-sandbox.proxy`` and every service's ``x-sandbox.links``, ports allocated."""
    top = raw.get("x-sandbox") or {}
    proxy = L.parse_proxy(
        _interpolate_tree(top.get("proxy"), variables, f"{path}: x-sandbox.proxy")
        if isinstance(top, dict) else None,
        f"{path}: x-sandbox.proxy",
    )
    declared = {}
    for name, spec in raw["services"].items():
        ext = spec.get("x-sandbox") if isinstance(spec, dict) else None
        if isinstance(ext, dict) and ext.get("links") is not None:
            where = f"{path}: services.{name}.x-sandbox.links"
            declared[str(name)] = L.parse_links(
                _interpolate_tree(ext["links"], variables, where), where
            )
    links = L.allocate(declared, proxy or ProxySpec(""))
    L.validate(links, proxy, (str(n) for n in raw["services"]), path)
    return proxy, links


def _check_link_references(
    name: str, raw: Any, variables: Mapping[str, str], path: Path
) -> None:
    """A ``LINK_*`` variable that names no link is a mistake, not an empty string."""
    for var in sorted(L.references(raw)):
        if var not in variables:
            target = var.removeprefix("LINK_TO_").rsplit("_", 1)[0].lower()
            raise TopologyError(
                f"{path}: services.{name} uses ${{{var}}}, which names no link of the topology",
                f"declare the link in services.{name}.x-sandbox.links (e.g. \"{target}:PORT\")"
                if var.startswith("LINK_TO_") else "fix the variable name",
            )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise TopologyError(
            f"cannot read {path}: {e.strerror}", "set SANDBOX_COMPOSE_FILE"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise TopologyError(
            f"{path}:{line}: YAML syntax error: {problem}", "fix the YAML there"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        raise TopologyError(f"{path}: no services mapping", "add a top-level services: mapping")
    return doc


def load_topology(path: Path, variables: Mapping[str, str] | None = None) -> Topology:
    """Load and validate ``path``; ``variables`` feed the interpolation (default: environ)."""
    path = Path(path)
    raw = _read_yaml(path)
    variables = os.environ if variables is None else variables
    proxy, links = _links(raw, variables, path)
    variables = {**variables, **L.link_variables(links, proxy)}
    doc = {
        k: (_interpolate_tree(v, variables, f"{path}: {k}") if not k.startswith("x-") else v)
        for k, v in raw.items()
        if k != "services"
    }
    doc["services"] = {}
    for n, s in raw["services"].items():
        scoped = {**variables, **L.local_variables(links, str(n), proxy)}
        _check_link_references(str(n), s, scoped, path)
        doc["services"][n] = _interpolate_tree(s, scoped, f"{path}: services.{n}")
    services = {
        str(n): _with_port_variables(_service(str(n), s, path), raw["services"].get(n))
        for n, s in doc["services"].items()
    }
    if proxy is not None:  # a service with links starts once the proxy is healthy
        for link in links:
            deps = services[link.source].depends_on
            if proxy.service not in deps:
                services[link.source] = replace(
                    services[link.source], depends_on={**deps, proxy.service: "service_healthy"}
                )
    networks_raw = doc.get("networks") or {}
    if not isinstance(networks_raw, dict):
        raise TopologyError(f"{path}: networks must be a mapping", "see the compose spec")
    networks = {
        str(n): Network(str(n), bool((spec or {}).get("internal", False)))
        for n, spec in networks_raw.items()
    }
    if any("default" in s.networks for s in services.values()):
        networks.setdefault("default", Network("default"))
    secrets = {str(k): str(v) for k, v in
               (((raw.get("x-sandbox") or {}).get("secrets")) or {}).items()}
    services = _expand_secrets(services, secrets, path)
    topo = Topology(path, services, networks, secrets, doc.get("name"), links, proxy)
    _validate(topo)
    return topo


def project_dir() -> Path:
    """The project root: ``SANDBOX_PROJECT_DIR``, else the checkout holding this package."""
    env = os.environ.get("SANDBOX_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "compose").is_dir():
            return candidate
    raise TopologyError(
        "cannot find the project root (pyproject.toml beside compose/)",
        "set SANDBOX_PROJECT_DIR to the project checkout",
    )


def compose_file() -> Path:
    """``SANDBOX_COMPOSE_FILE`` if set, else ``compose/docker-compose.yml`` of the project."""
    env = os.environ.get("SANDBOX_COMPOSE_FILE")
    return Path(env).resolve() if env else project_dir() / "compose" / "docker-compose.yml"
