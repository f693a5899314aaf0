"""``Sandbox``: bring this project's topology up, attach to it, use it, take it down.

    up:   sweep orphans -> refuse/reuse a running one -> images -> networks -> secrets
          -> containers, each as soon as its dependencies are healthy -> run state
    down: containers, networks and volumes removed by label; run state forgotten

Any failure or interrupt during ``up`` removes everything the run created.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import docker
import requests
from filelock import FileLock

from sandbox.errors import AlreadyRunning, NotRunning, SandboxError, StuckNetwork
from sandbox.progress import Progress, SilentProgress
from sandbox.runtime import labels as L
from sandbox.runtime.checkout_match import compose_digest, difference
from sandbox.runtime.docker_api import list_runs, remove_run
from sandbox.runtime.images import resolve_images
from sandbox.runtime.orphans import ProcfsTable, RunInfo, current_owner, is_orphan
from sandbox.runtime.project import Project, open_project
from sandbox.runtime.readiness import ExecHealthcheckWaitStrategy
from sandbox.runtime.startup import RunPlan, start_run
from sandbox.runtime.state import RunState, load_state, remove_state, runs_dir, save_state
from sandbox.topology import Healthcheck, compose_file, load_topology

if TYPE_CHECKING:
    from sandbox.telemetry import Alerts, ContainerLogs, Metrics, Traces

ENVS = ("dev", "test", "production")


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Teardown must finish: ignore SIGINT/SIGTERM meanwhile (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _live_runs(project: Project) -> dict[str, RunInfo]:
    table, host = ProcfsTable(), L.this_host()
    runs = list_runs(project.client, project.name)
    return {r: info for r, info in runs.items() if not is_orphan(info, table, host)}


def sweep_orphans(project: Project,
                  progress: Progress) -> tuple[list[str], dict[str, StuckNetwork]]:
    """Remove every orphan run of the project; returns their ids, and the runs that Docker
    would not let go (said on `progress`: they take nothing but an address range, so a
    new run starts beside them)."""
    table, host = ProcfsTable(), L.this_host()
    removed: list[str] = []
    stuck: dict[str, StuckNetwork] = {}
    for run_id, info in list_runs(project.client, project.name).items():
        if is_orphan(info, table, host):
            progress.step("orphans", f"removing run {run_id} (its owner process is gone)")
            try:
                remove_run(project.client, project.name, run_id)
            except StuckNetwork as exc:
                progress.step("orphans", exc.one_line().replace("error: ", "left ", 1))
                stuck[run_id] = exc
                continue
            remove_state(project.root, run_id)
            removed.append(run_id)
    return removed, stuck


class Sandbox:
    """A run of this project's topology.

    >>> sb = Sandbox.up(env="test", mode="session")     # doctest: +SKIP
    >>> sb.url("gateway")                                # 'http://127.0.0.1:49153'
    >>> sb.exec("postgres", ["psql", "-Atc", "select 1"])  # (0, '1\\n')
    >>> sb.down()
    """

    def __init__(self, state: RunState, project: Project, reused: bool = False) -> None:
        self.state = state
        self._project = project
        self.reused = reused  # `up` found it running and returned it

    run_id = property(lambda self: self.state.run_id)
    project_root = property(lambda self: self._project.root)
    env = property(lambda self: self.state.env)
    mode = property(lambda self: self.state.mode)

    @classmethod
    def up(
        cls,
        env: str = "dev",
        mode: Literal["detached", "session"] = "detached",
        progress: Progress | None = None,
        if_running: Literal["refuse", "reuse"] = "refuse",
        sequential: bool = False,
        owner_pid: int | None = None,
    ) -> Sandbox:
        """Start the topology. ``mode="session"``: the calling process owns the run and
        must ``down()`` it (it becomes an orphan if the process dies). If this project's
        sandbox already runs: ``AlreadyRunning``, or with ``if_running="reuse"`` that one
        (when its env matches). A session run is independent of the detached one: a test
        session starts its own beside a developer's sandbox. ``sequential`` starts one
        container at a time (the startup benchmark's baseline). ``owner_pid``: the process
        that owns a session run, when it is not the caller (pytest-xdist's controller, which
        outlives the worker that starts the run)."""
        if env not in ENVS:
            raise SandboxError(f"unknown env {env!r}", f"use one of {', '.join(ENVS)}")
        if mode not in L.MODES:
            raise SandboxError(f"unknown mode {mode!r}", f"use one of {', '.join(L.MODES)}")
        progress = progress or SilentProgress()
        base_vars = {**os.environ, "SANDBOX_ENV": env}
        load_topology(compose_file(), base_vars)  # a malformed file fails before Docker
        project = open_project()
        with FileLock(str(project.lock_path)):
            sweep_orphans(project, progress)  # what Docker keeps is said, and left
            live = {
                r: info
                for r, info in _live_runs(project).items()
                if info.labels.get(L.MODE) == "detached"
            }
            if live and mode == "detached":
                return cls._running_instead(project, live, env, if_running)
            topology = load_topology(project.compose, base_vars)  # fail before creating
            run_id = L.new_run_id()
            labels = L.run_labels(project.name, run_id, mode, current_owner(pid=owner_pid))
            plan = RunPlan(
                run_id, project.name, env, mode, labels, {}, project.root, project.compose,
                sequential=sequential,
            )
            try:
                plan.images = resolve_images(project.client, topology, progress)
                state = start_run(project.client, plan, base_vars, progress)
                state.images = dict(plan.images)
                state.compose_digest = compose_digest(project.compose)
                save_state(project.root, state)
                if mode == "detached":
                    project.client.volumes.create(
                        L.marker_volume_name(run_id),
                        labels={**labels, L.MARKER: "detached-complete"},
                    )
            except BaseException:
                with _signals_deferred():
                    progress.step("teardown", f"removing run {run_id}")
                    remove_run(project.client, project.name, run_id)
                    remove_state(project.root, run_id)
                raise
        progress.done("sandbox", f"run {run_id} is up")
        return cls(state, project)

    @classmethod
    def _running_instead(
        cls, project: Project, live: dict[str, RunInfo], env: str, if_running: str
    ) -> Sandbox:
        ids = ", ".join(sorted(live))
        if if_running != "reuse":
            raise AlreadyRunning(
                f"this project's sandbox already runs (run {ids})",
                "use it (`sandbox status`), or run `sandbox down` first",
            )
        sb = cls.attach()
        if sb.env != env:
            raise AlreadyRunning(
                f"this project's sandbox runs with env {sb.env}, not {env} (run {sb.run_id})",
                f"run `sandbox down` first, or use --env {sb.env}",
            )
        sb.reused = True
        return sb

    @classmethod
    def attach_if_current(cls, env: str | None = None) -> tuple[Sandbox | None, str]:
        """The running (detached) sandbox when it is the one this checkout would start: the
        same compose file, the same image for every service and, unless ``env`` is None,
        that env. Otherwise ``None`` and why not: what differs, in one phrase, or ``""``
        when no sandbox runs."""
        try:
            sb = cls.attach()
        except NotRunning:
            return None, ""
        why = difference(sb.state, compose_file(), env, os.environ)
        if why is not None:
            return None, f"the running sandbox (run {sb.run_id}) is not this checkout's: {why}"
        sb.reused = True
        return sb, f"run {sb.run_id} (env {sb.env}) runs this checkout's compose file and images"

    def unlike_checkout(self) -> str | None:
        """What differs between this run and what the checkout would start (its compose
        file, a service's image), in one phrase; ``None`` when they are the same."""
        return difference(self.state, compose_file(), None, os.environ)

    @classmethod
    def attach(cls, run_id: str | None = None) -> Sandbox:
        """The running sandbox of this project (a detached one first); ``NotRunning`` if none."""
        project = open_project()
        live = _live_runs(project)
        if run_id is None:
            # a detached sandbox only: a test session's run is torn down by its owner
            ready = [
                r
                for r in live
                if live[r].labels.get(L.MODE) == "detached"
                and (runs_dir(project.root) / f"{r}.json").exists()
            ]
            ready.sort(key=lambda r: (not live[r].completed, r))
            if not ready:
                raise NotRunning(
                    f"no sandbox of project {project.name} is running", "run `sandbox up`"
                )
            run_id = ready[0]
        elif run_id not in live:
            raise NotRunning(f"sandbox run {run_id} is not running", "run `sandbox up`")
        return cls(load_state(project.root, run_id), project)

    @classmethod
    def running(cls) -> list[Sandbox]:
        """Every running (not orphaned, fully started) sandbox of this project."""
        project = open_project()
        found = []
        for run_id in sorted(_live_runs(project)):
            with contextlib.suppress(NotRunning):
                found.append(cls(load_state(project.root, run_id), project))
        return found

    @classmethod
    def down_project(
        cls, progress: Progress | None = None, include_sessions: bool = False
    ) -> list[str]:
        """Remove this project's sandbox and its orphans (idempotent).

        A run still owned by a live process (a pytest session, an ``up`` in progress) is
        left to its owner, which tears it down itself, unless ``include_sessions``.
        """
        progress = progress or SilentProgress()
        project = open_project()
        removed, stuck = sweep_orphans(project, progress)
        for run_id, info in sorted(list_runs(project.client, project.name).items()):
            if run_id in stuck:
                continue
            if not info.completed and not include_sessions:
                owner = info.labels.get(L.OWNER_PID, "?")
                progress.step(
                    "teardown", f"run {run_id} belongs to live process {owner}; left to it "
                    "(`sandbox down --all` removes it too)"
                )
                continue
            progress.step("teardown", f"removing run {run_id}")
            with _signals_deferred():
                remove_run(project.client, project.name, run_id)
                remove_state(project.root, run_id)
            removed.append(run_id)
        if stuck:
            raise next(iter(stuck.values()))
        return removed

    # --- using a run -------------------------------------------------------------------

    def container(self, service: str) -> Any:
        """The docker SDK container of ``service``."""
        try:
            return self._project.client.containers.get(L.container_name(self.run_id, service))
        except docker.errors.NotFound:
            raise NotRunning(
                f"service {service} has no container in run {self.run_id}",
                "check the name with `sandbox status`",
            ) from None

    def address(self, service: str, network: str) -> str:
        """The IPv4 address of ``service`` on the run's network ``network`` (``private``,
        ``public``): the project's own container, for tests and benchmarks."""
        container = self.container(service)
        container.reload()
        networks = container.attrs["NetworkSettings"]["Networks"]
        name = f"sandbox-{self.run_id}-{network}"
        if name not in networks:
            raise NotRunning(f"service {service} is not on the network {network}",
                             f"use one of: {', '.join(sorted(networks))}")
        return str(networks[name]["IPAddress"])

    def host_port(self, service: str, container_port: int, protocol: str = "tcp") -> int:
        """The 127.0.0.1 port that Docker mapped to ``container_port`` of ``service``."""
        try:
            return self.state.ports[service][f"{container_port}/{protocol}"]
        except KeyError:
            raise NotRunning(
                f"service {service} publishes no port {container_port}/{protocol}",
                "add it to the service's ports in the compose file",
            ) from None

    def url(self, service: str, port: int | None = None) -> str:
        """``http://127.0.0.1:PORT`` of ``service`` (its first published port by default)."""
        if port is not None:
            return f"http://127.0.0.1:{self.host_port(service, port)}"
        if service not in self.state.urls:
            raise NotRunning(f"service {service} publishes no port", "see `sandbox status`")
        return self.state.urls[service]

    def exec(self, service: str, cmd: list[str]) -> tuple[int, str]:
        """Run ``cmd`` in the service's container: (exit code, stdout+stderr)."""
        code, output = self.container(service).exec_run(cmd)
        return int(code), output.decode(errors="replace")

    def secret(self, name: str) -> str:
        """The value this run generated for ``x-sandbox.secrets`` entry ``name``."""
        return self.state.secrets[name]

    def network_gateway_ip(self, network: str) -> str:
        """The gateway IP of ``network`` (the host, as containers on it see it)."""
        return self.state.networks[network]["gateway"]

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the links' proxy API (Toxiproxy 2.x REST API)."""
        if not self.state.proxy:
            raise NotRunning(
                f"run {self.run_id} has no links proxy", "declare x-sandbox.proxy in the compose file"
            )
        return self.url(self.state.proxy)

    @property
    def faults(self) -> Any:
        """Link faults as context managers: ``with sb.faults.latency(link, ms=300): ...``."""
        from sandbox.faults.api import Faults
        from sandbox.faults.links import LinkFaults

        return Faults(LinkFaults(self.proxy_url))

    def links(self) -> list[dict[str, Any]]:
        """Every link as the proxy reports it now: name, listen, upstream, enabled, toxics."""
        url = f"{self.proxy_url}/proxies"
        try:
            response = requests.get(url, timeout=5)
            response.raise_for_status()
            proxies = response.json()
        except (requests.RequestException, ValueError) as e:
            raise NotRunning(
                f"the links proxy does not answer at {url} ({type(e).__name__})",
                f"check it with `sandbox status` and `sandbox logs {self.state.proxy}`",
            ) from None
        keys = ("name", "listen", "upstream", "enabled", "toxics")
        return [{k: p.get(k) for k in keys} for _, p in sorted(proxies.items())]

    def status(self) -> list[dict[str, str]]:
        """One row per container: service, state, health, url."""
        rows = []
        flt = L.project_filter(self._project.name, self.run_id)
        for c in self._project.client.containers.list(all=True, filters=flt):
            service = c.labels.get(L.SERVICE, c.name)
            health = (c.attrs.get("State", {}).get("Health") or {}).get("Status", "-")
            # Docker's first check waits an interval, and a service that came back is
            # unhealthy until its next check (x-health-timing): probe now
            if health in ("starting", "unhealthy") and c.status == "running":
                health = self._probe(service, c, health)
            rows.append(
                {
                    "service": service,
                    "state": c.status,
                    "health": health,
                    "url": self.state.urls.get(service, ""),
                }
            )
        return sorted(rows, key=lambda r: r["service"])

    @staticmethod
    def _probe(service: str, container: Any, otherwise: str) -> str:
        """One try of the container's health check now: "healthy", or ``otherwise``."""
        test = tuple(container.attrs["Config"]["Healthcheck"]["Test"])
        probe = ExecHealthcheckWaitStrategy(service, Healthcheck(test, timeout=3.0))
        try:
            return "healthy" if probe.exec_succeeds(container, probe.once) else otherwise
        finally:
            probe.close()

    def containers(self) -> dict[str, Any]:
        """Every container of the run, by service name (docker SDK containers)."""
        flt = L.project_filter(self._project.name, self.run_id)
        found = self._project.client.containers.list(all=True, filters=flt)
        return {c.labels.get(L.SERVICE, c.name): c for c in found}

    # --- telemetry (sandbox/telemetry/) ---------------------------------------------------

    @functools.cached_property
    def logs(self) -> ContainerLogs:
        """``sb.logs(service, follow=False, tail=None)``: the service's output as chunks;
        ``sb.logs.for_trace(trace_id)``: every container's JSON lines of one trace."""
        from sandbox.telemetry.endpoints import logs_for

        return logs_for(self)

    @functools.cached_property
    def traces(self) -> Traces:
        """The trace store (Jaeger's query API): ``sb.traces.wait_for(trace_id, Span(...))``."""
        from sandbox.telemetry.endpoints import traces_for

        return traces_for(self)

    @functools.cached_property
    def metrics(self) -> Metrics:
        """Prometheus: ``sb.metrics.query(promql)``, ``query_range``, ``federate``."""
        from sandbox.telemetry.endpoints import metrics_for

        return metrics_for(self)

    @functools.cached_property
    def alerts(self) -> Alerts:
        """``sb.alerts.wait_for(name)`` / ``resolved(name)``: Prometheus, Alertmanager, sink."""
        from sandbox.telemetry.endpoints import alerts_for

        return alerts_for(self)

    def down(self) -> None:
        """Remove this run's containers, networks and volumes, and its state (idempotent)."""
        with _signals_deferred():
            remove_run(self._project.client, self._project.name, self.run_id)
            remove_state(self._project.root, self.run_id)
