"""The CLI's failure modes: one line on stderr, a non-zero exit, no traceback."""

import pytest

from sandbox.cli import main


@pytest.mark.parametrize("argv", [["up"], ["down"], ["status"], ["logs", "db"]])
def test_no_docker_daemon_is_one_line(monkeypatch, capsys, tmp_path, argv):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nonexistent.sock")
    monkeypatch.delenv("SANDBOX_COMPOSE_FILE", raising=False)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: no Docker daemon answers")
    assert "fix: start Docker" in err


def test_malformed_compose_is_one_line_naming_the_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  a:\n    image: x\n   bad: [\n")
    monkeypatch.setenv("SANDBOX_COMPOSE_FILE", str(bad))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nonexistent.sock")
    assert main(["up"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 4" in err and str(bad) in err


def test_unknown_dependency_is_one_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  a: {image: x, depends_on: [ghost]}\n")
    monkeypatch.setenv("SANDBOX_COMPOSE_FILE", str(bad))
    assert main(["up", "--env", "test"]) == 1
    assert "unknown service 'ghost'" in capsys.readouterr().err


def test_bad_env_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["up", "--env", "staging"])
    assert info.value.code == 2


class _ReusedSandbox:
    """What `Sandbox.up` returns when a sandbox already runs."""

    run_id, env, reused = "abc12345", "dev", True

    def __init__(self, unlike: str | None) -> None:
        self._unlike = unlike

    def unlike_checkout(self) -> str | None:
        return self._unlike

    def status(self) -> list:
        return []


@pytest.mark.parametrize("unlike", [None, "its images differ from this checkout's (auth)"])
def test_up_on_a_running_sandbox_says_when_it_is_not_the_checkouts(monkeypatch, capsys, unlike):
    from sandbox import runtime

    monkeypatch.setattr(runtime.Sandbox, "up", classmethod(
        lambda cls, **kwargs: _ReusedSandbox(unlike)))
    assert main(["up"]) == 0
    out, err = capsys.readouterr()
    assert "already running (run abc12345); reusing it" in out
    if unlike is None:
        assert err == ""
    else:
        assert err.count("\n") == 1 and unlike in err
        assert "run `sandbox down` and then `sandbox up`" in err
