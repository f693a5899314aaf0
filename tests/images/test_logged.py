import sys

import pytest

from sandbox.errors import ImageBuildFailed
from sandbox.images.logged import run_logged


def test_a_step_that_succeeds_appends_its_output(tmp_path):
    log = tmp_path / "build.log"
    run_logged([sys.executable, "-c", "print('hello')"], log, "greeting", "none needed")
    assert log.read_text().splitlines()[-1] == "hello"


def test_a_failed_step_names_itself_its_last_lines_and_the_log(tmp_path):
    log = tmp_path / "build.log"
    code = "import sys; print('one'); print('two'); sys.exit(3)"
    with pytest.raises(ImageBuildFailed) as caught:
        run_logged([sys.executable, "-c", code], log, "pip download of r.txt", "pin versions")
    message = caught.value.one_line()
    assert "pip download of r.txt failed" in message and "one | two" in message
    assert str(log) in message and message.endswith("fix: pin versions")
    assert "\n" not in message
