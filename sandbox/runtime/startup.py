"""Bring one run up: networks, secrets, containers gated on health, ports read back."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker

from sandbox.progress import Progress
from sandbox.runtime import labels as L
from sandbox.runtime.containers import ServiceContainer
from sandbox.runtime.networks import create_networks, network_variables
from sandbox.runtime.proxy_populate import ProxyPopulateWaitStrategy
from sandbox.runtime.readiness import (
    ExecHealthcheckWaitStrategy,
    ExitSuccessWaitStrategy,
    ReadinessWaitStrategy,
    RunningWaitStrategy,
)
from sandbox.runtime.scheduler import StartScheduler
from sandbox.runtime.secret_files import write_service_secrets
from sandbox.runtime.secrets import generate_secrets, write_ssh_key_pair
from sandbox.runtime.state import RunState, run_dir
from sandbox.topology import Healthcheck, Topology, load_topology


def ready_timeout() -> float:
    return float(os.environ.get("SANDBOX_READY_TIMEOUT", "180"))


@dataclass
class RunPlan:
    """Everything `up` decided before the first container starts."""

    run_id: str
    project: str
    env: str
    mode: str
    labels: dict[str, str]
    images: Mapping[str, str]
    project_root: Path
    compose_file: Path
    containers: dict[str, ServiceContainer] = field(default_factory=dict)
    sequential: bool = False  # one container at a time (the benchmark's baseline)


def _strategy(topo: Topology, name: str, abort: threading.Event) -> ReadinessWaitStrategy:
    service = topo.services[name]
    wanted = {s.depends_on.get(name) for s in topo.services.values()}
    kwargs = {"timeout": ready_timeout(), "abort": abort}
    if "service_completed_successfully" in wanted:
        return ExitSuccessWaitStrategy(name, **kwargs)
    if topo.proxy is not None and name == topo.proxy.service:  # filled through its API
        healthcheck = service.healthcheck or Healthcheck(
            ("CMD", "curl", "-fsS", "-m", "2", "-o", "/dev/null",
             f"http://127.0.0.1:{topo.proxy.api_port}/proxies"), timeout=3.0)
        return ProxyPopulateWaitStrategy(name, healthcheck, topo.proxy.api_port, **kwargs)
    if service.healthcheck:
        return ExecHealthcheckWaitStrategy(name, service.healthcheck, **kwargs)
    return RunningWaitStrategy(name, **kwargs)


def one_after_another(topo: Topology) -> dict[str, dict[str, str]]:
    """Dependencies that start the services one at a time, each once the previous is
    ready, in dependency order (the baseline that the startup benchmark compares with).

    >>> from types import SimpleNamespace as NS
    >>> one_after_another(NS(waves=lambda: [["db", "cache"], ["app"]]))
    {'db': {}, 'cache': {'db': 'service_healthy'}, 'app': {'cache': 'service_healthy'}}
    """
    order = [name for wave in topo.waves() for name in wave]
    return {
        name: ({order[i - 1]: "service_healthy"} if i else {}) for i, name in enumerate(order)
    }


def start_run(
    client: docker.DockerClient, plan: RunPlan, base_vars: Mapping[str, str], progress: Progress
) -> RunState:
    """Create the run's objects; the caller removes them by label if this raises."""
    structure = load_topology(plan.compose_file, base_vars)
    progress.step("networks", f"creating {', '.join(structure.networks)}")
    networks = create_networks(client, structure, plan.run_id, plan.labels)
    secrets = generate_secrets(structure.secrets)
    key_path, public_key = write_ssh_key_pair(
        run_dir(plan.project_root, plan.run_id), f"sandbox-{plan.run_id}"
    )
    variables = {
        **base_vars,
        **network_variables(networks),
        "SANDBOX_SSH_PUBLIC_KEY": public_key,
        "SANDBOX_RUN_ID": plan.run_id,
    }
    topo = load_topology(plan.compose_file, variables)
    secret_dirs = write_service_secrets(
        plan.run_id, {n: s.secrets for n, s in topo.services.items()}, secrets)
    docker_names = {n: info["name"] for n, info in networks.items()}
    abort = threading.Event()
    strategies = {name: _strategy(topo, name, abort) for name in topo.services}

    def start(name: str) -> None:
        progress.step(name, "starting")
        container = ServiceContainer(
            topo.services[name], plan.images[name], plan.run_id, plan.labels, docker_names,
            secrets_dir=secret_dirs.get(name),
        )
        plan.containers[name] = container
        container.start()

    def wait_ready(name: str) -> None:
        strategy = strategies[name]
        strategy.wait_until_ready(plan.containers[name])
        progress.done(name, strategy.describe())

    depends_on = {n: s.depends_on for n, s in topo.services.items()}
    if plan.sequential:
        depends_on = one_after_another(topo)
    scheduler = StartScheduler(depends_on, start, wait_ready, abort)
    try:
        scheduler.run()
    finally:
        for strategy in strategies.values():
            getattr(strategy, "close", lambda: None)()
    state = RunState(
        run_id=plan.run_id,
        project=plan.project,
        env=plan.env,
        mode=plan.mode,
        owner_pid=int(plan.labels[L.OWNER_PID]),
        secrets=secrets,
        networks={n: {"subnet": i["subnet"], "gateway": i["gateway"]} for n, i in networks.items()},
        ssh_private_key=str(key_path),
        ssh_public_key=public_key,
        compose_file=str(plan.compose_file),
        proxy=topo.proxy.service if topo.proxy else None,
        proxy_api_port=topo.proxy.api_port if topo.proxy else None,
    )
    read_ports(client, topo, plan.project, plan.run_id, state)
    return state


def read_ports(
    client: docker.DockerClient, topo: Topology, project: str, run_id: str, state: RunState
) -> None:
    """Fill ``state.ports`` and ``state.urls`` (the first declared port) from Docker."""
    for c in client.api.containers(all=True, filters=L.project_filter(project, run_id)):
        service = c["Labels"].get(L.SERVICE)
        mapped = {
            f"{p['PrivatePort']}/{p['Type']}": int(p["PublicPort"])
            for p in c.get("Ports") or []
            if p.get("PublicPort") and p.get("IP", "") in ("127.0.0.1", "0.0.0.0", "")
        }
        if service and mapped:
            state.ports[service] = mapped
            declared = topo.services[service].ports if service in topo.services else ()
            first = next((f"{p.container_port}/{p.protocol}" for p in declared), None)
            if first in mapped:
                scheme = "ssh" if first == "22/tcp" else "http"
                state.urls[service] = f"{scheme}://127.0.0.1:{mapped[first]}"
            # consoles of private-only services, published through this one
            consoles = topo.services[service].consoles if service in topo.services else {}
            for port, target in consoles.items():
                if f"{port}/tcp" in mapped:
                    state.urls[target] = f"http://127.0.0.1:{mapped[f'{port}/tcp']}"
