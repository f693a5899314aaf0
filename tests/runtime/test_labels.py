"""Labels and names of a run's objects."""

import pytest

from sandbox.runtime import labels as L


def test_run_labels_carry_the_documented_keys():
    labels = L.run_labels("proj", "abcd1234", "session", L.Owner(7, "h", "99"))
    assert labels == {
        "sandbox.project": "proj",
        "sandbox.managed-by": "sandbox-runtime",
        "sandbox.run": "abcd1234",
        "sandbox.mode": "session",
        "sandbox.owner-pid": "7",
        "sandbox.owner-host": "h",
        "sandbox.owner-started": "99",
    }
    assert L.service_labels(labels, "db")["sandbox.service"] == "db"


def test_bad_mode_is_refused():
    with pytest.raises(ValueError):
        L.run_labels("p", "r", "forever", L.Owner(1, "h", ""))


def test_filters_select_only_runtime_objects():
    assert L.project_filter("p", "r") == {
        "label": ["sandbox.project=p", "sandbox.managed-by=sandbox-runtime", "sandbox.run=r"]
    }


def test_names():
    assert L.container_name("r1", "db") == "sandbox-r1-db"
    assert L.network_name("r1", "private") == "sandbox-r1-private"


def test_project_name(monkeypatch):
    monkeypatch.delenv("SANDBOX_PROJECT", raising=False)
    assert L.project_name(None) == "sandbox" and L.project_name("shop") == "shop"
    monkeypatch.setenv("SANDBOX_PROJECT", "x")
    assert L.project_name("shop") == "x"
