from types import SimpleNamespace

import pytest

from sandbox.errors import SandboxError
from sandbox.faults.containers import ContainerFaults


class FakeNetwork:
    def __init__(self, calls):
        self.calls = calls

    def disconnect(self, container):
        self.calls.append(("disconnect", container.name))

    def connect(self, container, aliases):
        self.calls.append(("connect", container.name, aliases))


class FakeContainer:
    def __init__(self, name, calls):
        self.name, self.calls = name, calls
        self.client = SimpleNamespace(
            networks=SimpleNamespace(get=lambda n: (calls.append(("network", n)), FakeNetwork(calls))[1])
        )

    def __getattr__(self, action):
        return lambda **kw: self.calls.append((action, self.name, kw) if kw else (action, self.name))


def fake_sandbox(calls):
    return SimpleNamespace(
        run_id="r1",
        state=SimpleNamespace(networks={"public": {}, "private": {}}, proxy="toxiproxy"),
        status=lambda: [{"service": "catalog"}, {"service": "postgres"}],
        container=lambda s: FakeContainer(f"sandbox-r1-{s}", calls),
    )


@pytest.mark.parametrize("action", ["kill", "stop", "start", "restart", "pause", "unpause"])
def test_lifecycle_faults_reach_the_container(action):
    calls = []
    ContainerFaults(fake_sandbox(calls)).apply(action, "catalog")
    assert calls == [(action, "sandbox-r1-catalog")]


def test_partition_then_heal_on_the_runs_network():
    calls = []
    faults = ContainerFaults(fake_sandbox(calls))
    faults.apply("partition", "postgres")
    faults.apply("heal", "postgres")
    assert calls == [("network", "sandbox-r1-private"), ("disconnect", "sandbox-r1-postgres"),
                     ("network", "sandbox-r1-private"),
                     ("connect", "sandbox-r1-postgres", ["postgres"])]  # fmt: skip


def test_throttle_sets_cpu_quota_and_memory():
    calls = []
    ContainerFaults(fake_sandbox(calls)).apply("throttle", "catalog", cpus=0.2, memory="64m")
    assert calls == [("update", "sandbox-r1-catalog", {"cpu_period": 100000, "cpu_quota": 20000,
                                                       "mem_limit": "64m", "memswap_limit": "64m"})]


@pytest.mark.parametrize(
    "kwargs, message",
    [({"action": "kill", "service": "nope"}, "use one of: catalog, postgres"),
     ({"action": "melt", "service": "catalog"}, "unknown container fault"),
     ({"action": "partition", "service": "catalog", "network": "dmz"}, "use one of: public, private"),
     ({"action": "throttle", "service": "catalog"}, "--cpus or --memory")],
)
def test_mistakes_are_one_line_with_the_fix(kwargs, message):
    with pytest.raises(SandboxError) as caught:
        ContainerFaults(fake_sandbox([])).apply(**kwargs)
    assert message in caught.value.one_line()
