"""A network that Docker will not remove (an endpoint of a removed container kept by the
daemon): `down` names the cause and the fix; `up` says so and starts beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from docker.errors import APIError

from sandbox.errors import StuckNetwork
from sandbox.runtime import engine
from sandbox.runtime.docker_api import remove_run
from sandbox.runtime.project import Project

STUCK = 'error while removing network: network sandbox-r1-private has active endpoints'


class FakeApi:
    """The Docker API calls that `remove_run` makes, over one run's objects."""

    def __init__(self, containers: int, network_error: str | None) -> None:
        self._containers = [{"Id": f"c{i}"} for i in range(containers)]
        self._network_error = network_error
        self.removed: list[str] = []

    def containers(self, all, filters):
        return list(self._containers)

    def remove_container(self, cid, force, v):
        self._containers = [c for c in self._containers if c["Id"] != cid]
        self.removed.append(cid)

    def networks(self, filters):
        return [{"Id": "n1"}]

    def remove_network(self, nid):
        if self._network_error:
            raise APIError(self._network_error)
        self.removed.append(nid)

    def volumes(self, filters):
        return {"Volumes": []}


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def test_a_network_kept_with_a_dead_endpoint_is_a_stuck_network_with_the_fix() -> None:
    api = FakeApi(containers=2, network_error=STUCK)
    with pytest.raises(StuckNetwork) as caught:
        remove_run(FakeClient(api), "sandbox", "r1")  # type: ignore[arg-type]
    assert caught.value.one_line().startswith("error: run r1: Docker keeps a network")
    assert "restart the Docker daemon" in caught.value.one_line()
    assert api.removed == ["c0", "c1"]


def test_other_docker_errors_still_raise_as_they_are() -> None:
    with pytest.raises(APIError, match="boom"):
        remove_run(FakeClient(FakeApi(0, "boom")), "sandbox", "r1")  # type: ignore[arg-type]


class Steps:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, subject, message):
        self.lines.append(f"{subject}: {message}")

    def done(self, subject, message="done"):
        pass

    def fail(self, subject, message):
        self.lines.append(f"FAIL {subject}: {message}")


def test_the_orphan_sweep_says_what_docker_keeps_and_goes_on(monkeypatch, tmp_path: Path) -> None:
    removed = []

    def fake_remove(client, project, run_id):
        if run_id == "stuck":
            raise StuckNetwork(f"run {run_id}: Docker keeps a network", "restart the daemon")
        removed.append(run_id)
        return 1

    monkeypatch.setattr(engine, "list_runs", lambda client, name: {"stuck": None, "gone": None})
    monkeypatch.setattr(engine, "is_orphan", lambda info, table, host: True)
    monkeypatch.setattr(engine, "remove_run", fake_remove)
    progress = Steps()
    project = Project(root=tmp_path, compose=tmp_path / "c.yml", name="sandbox", client=None)  # type: ignore[arg-type]
    done, stuck = engine.sweep_orphans(project, progress)
    assert done == ["gone"] and removed == ["gone"] and list(stuck) == ["stuck"]
    assert any(line.startswith("orphans: left run stuck: Docker keeps a network -- fix: restart")
               for line in progress.lines), progress.lines
