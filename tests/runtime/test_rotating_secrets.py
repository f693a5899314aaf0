"""`sandbox secrets rotate`: a new value in the emulator, the files and the run's state."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from sandbox.errors import SandboxError
from sandbox.runtime import secret_rotation
from sandbox.runtime.secret_files import write_service_secrets
from sandbox.topology import compose_file


class FakeSandbox:
    def __init__(self, tmp_path, secrets):
        self.run_id = "r1"
        self.project_root = tmp_path
        self.state = SimpleNamespace(run_id="r1", secrets=dict(secrets),
                                     compose_file=str(compose_file()))
        self.execs = []
        self.exit_code = 0

    def exec(self, service, cmd):
        self.execs.append((service, cmd))
        return self.exit_code, "reseeded 1\n"


@pytest.fixture
def rotated(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_SECRETS_DIR", str(tmp_path / "shm"))
    saved = []
    monkeypatch.setattr(secret_rotation, "save_state", lambda root, state: saved.append(dict(state.secrets)))
    sb = FakeSandbox(tmp_path, {"alerts/sink_token": "old", "postgres/password": "pw"})
    write_service_secrets("r1", {"alertmanager": ("alerts/sink_token",), "secrets": ("alerts/sink_token",)},
                          sb.state.secrets)
    return sb, saved, tmp_path / "shm" / "r1"


def test_a_rotation_rewrites_every_holders_file_reseeds_the_emulator_and_saves_the_state(rotated):
    sb, saved, files = rotated
    rotation = secret_rotation.rotate_secret(sb, "alerts/sink_token")
    new = sb.state.secrets["alerts/sink_token"]
    assert new != "old" and len(bytes.fromhex(new)) == 32  # a token, as its kind says
    assert rotation.services == ("alertmanager", "secrets")
    for service in rotation.services:
        assert (files / service / "alerts/sink_token").read_text() == new
    assert sb.execs == [("secrets", ["python3", "-m", "services.secrets_emulator.reseed",
                                     "alerts/sink_token"])]
    assert saved == [sb.state.secrets]
    assert "within" in rotation.picked_up or "every" in rotation.picked_up


def test_a_secret_read_only_at_start_or_unknown_is_refused(rotated):
    sb, saved, _ = rotated
    with pytest.raises(SandboxError, match="read once at start"):
        secret_rotation.rotate_secret(sb, "postgres/password")
    with pytest.raises(SandboxError, match="no secret 'nope'"):
        secret_rotation.rotate_secret(sb, "nope")
    assert sb.execs == [] and saved == []


def test_an_emulator_that_refuses_leaves_the_state_as_it_was(rotated):
    sb, saved, _ = rotated
    sb.exit_code = 2
    with pytest.raises(SandboxError, match="did not take"):
        secret_rotation.rotate_secret(sb, "alerts/sink_token")
    assert sb.state.secrets["alerts/sink_token"] == "old" and saved == []


def test_the_live_secrets_are_secrets_of_the_topology():
    from sandbox.topology import load_topology

    declared = load_topology(Path(compose_file()), {}).secrets
    assert set(secret_rotation.LIVE) <= set(declared)
