"""The mocks' pytest plugin (``pytest11`` entry point ``mocks``): fixtures and pact recording.

Fixtures: ``catalog_mock``, ``auth_mock``, ``monolith_mock``, ``payments_mock``,
``webhooks_mock`` (a started ServiceMock at the service's in-topology URL),
``service_mock`` (factory: ``service_mock("catalog", base_url=..., seed=...)``),
``subscriber_mock`` (a webhook subscriber endpoint), ``broker_double``.

Options: ``--record-pacts`` (rewrite the pact files of the pairs this run exercised),
``--pacts-dir`` (default ``mocks/pacts``), ``--mocks-seed`` (default 0).
Marker: ``@pytest.mark.consumer("monolith")`` names whose reliance a test records.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import recording
from .documents import PACTS_DIR
from .pacts import load_fragments, save_fragment, write_pacts

FRAGMENTS = ".recording"
MARKERS = (("consumer(name): the consumer whose interactions with the mocks this test "
           "records into mocks/pacts/ (with --record-pacts)"),)
failed_key = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mocks", "contract-driven mocks and pacts")
    group.addoption("--record-pacts", action="store_true", default=False,
                    help="rewrite the pact file of every consumer→provider pair the run "
                         "exercised (run the whole of scenarios/contract)")
    group.addoption("--pacts-dir", default=str(PACTS_DIR),
                    help="where --record-pacts writes (default: mocks/pacts)")
    group.addoption("--mocks-seed", type=int, default=0,
                    help="seed of the mocks' generated answers (default 0)")


def pytest_configure(config: pytest.Config) -> None:
    # pact-python reports usage metrics over the network unless told not to
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if config.getoption("record_pacts"):
        recording.ACTIVE = recording.Recorder()
        if not hasattr(config, "workerinput"):  # left by an interrupted recording
            shutil.rmtree(Path(config.getoption("pacts_dir")) / FRAGMENTS, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    rec = recording.ACTIVE
    if rec is None:
        yield
        return
    marker = item.get_closest_marker("consumer")
    start = len(rec.interactions)
    with rec.context(consumer=marker.args[0] if marker else None,
                     test=f"{Path(str(item.path)).stem}::{item.name}"):
        yield
    if item.stash.get(failed_key, False):
        del rec.interactions[start:]  # a failed test's interactions are not relied on


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.stash[failed_key] = True


def pytest_sessionfinish(session: pytest.Session) -> None:
    rec = recording.ACTIVE
    if rec is None:
        return
    directory = Path(session.config.getoption("pacts_dir"))
    fragments = directory / FRAGMENTS
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:  # an xdist worker: the controller merges
        save_fragment(rec.interactions, fragments / f"{worker['workerid']}.json")
        return
    interactions = [*load_fragments(fragments), *rec.interactions] if fragments.exists() \
        else list(rec.interactions)
    shutil.rmtree(fragments, ignore_errors=True)
    written = write_pacts(interactions, directory)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"pacts: wrote {len(written)} files to {directory}")
    recording.ACTIVE = None


def _started(request: pytest.FixtureRequest, make: Callable[[], Any]) -> Iterator[Any]:
    mock = make()
    with mock:
        yield mock
    failed = request.node.stash.get(failed_key, False)
    if mock.violations and not failed:
        pytest.fail(f"a contract violation was swallowed by the code under test: "
                    f"{mock.violations[0]}", pytrace=False)


def _seed(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("mocks_seed"))


@pytest.fixture
def service_mock(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Factory: ``service_mock("catalog", base_url="http://127.0.0.1:9")``, started,
    stopped after the test."""
    from .engine import ServiceMock

    started: list[Any] = []

    def make(service: str, **options: Any) -> Any:
        mock = ServiceMock(service, **{"seed": _seed(request), **options}).start()
        started.append(mock)
        return mock

    yield make
    for mock in started:
        mock.stop()


def _service_fixture(name: str) -> Any:
    def fixture(request: pytest.FixtureRequest) -> Iterator[Any]:
        from .engine import ServiceMock

        yield from _started(request, lambda: ServiceMock(name, seed=_seed(request)))

    fixture.__name__ = f"{name}_mock"
    fixture.__doc__ = f"A started mock of {name} at its in-topology URL (http://{name}:8000)."
    return pytest.fixture(name=f"{name}_mock")(fixture)


catalog_mock = _service_fixture("catalog")
auth_mock = _service_fixture("auth")
monolith_mock = _service_fixture("monolith")
payments_mock = _service_fixture("payments")
webhooks_mock = _service_fixture("webhooks")


@pytest.fixture
def subscriber_mock(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A webhook subscriber's endpoint at ``https://subscriber.example/hooks``."""
    from .subscriber import SubscriberMock

    yield from _started(request, lambda: SubscriberMock(seed=_seed(request)))


@pytest.fixture
def broker_double(request: pytest.FixtureRequest) -> Any:
    """The exchange ``events`` in memory, checked against events.asyncapi.json."""
    from .broker import BrokerDouble

    return BrokerDouble(seed=_seed(request))
