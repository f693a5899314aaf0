"""Whether a running sandbox is the one this checkout would start (no Docker)."""

from __future__ import annotations

import os
from dataclasses import replace

from sandbox.runtime.checkout_match import compose_digest, difference
from sandbox.runtime.images import planned_images
from sandbox.runtime.state import RunState
from sandbox.topology import compose_file, load_topology


def _current_state(env: str = "dev") -> RunState:
    compose = compose_file()
    images = planned_images(load_topology(compose, {**os.environ, "SANDBOX_ENV": env}))
    return RunState(run_id="r1", project="p", env=env, mode="detached", owner_pid=1,
                    images=images, compose_digest=compose_digest(compose))


def test_a_run_of_this_checkouts_compose_file_and_images_matches():
    state = _current_state()
    assert difference(state, compose_file(), None, os.environ) is None
    assert difference(state, compose_file(), "dev", os.environ) is None


def test_every_service_has_an_image_and_recipes_are_content_tags():
    images = _current_state().images
    assert {"gateway", "catalog", "toxiproxy"} <= set(images)
    assert images["catalog"].startswith("sandbox/python:") and images["catalog"] != "sandbox/python"


def test_another_env_is_named_when_one_is_asked():
    state = _current_state("dev")
    assert difference(state, compose_file(), "test", os.environ) == (
        "it runs env dev, this run asks for test")


def test_a_changed_image_names_the_services_that_run_it():
    state = _current_state()
    images = {**state.images, "catalog": "sandbox/python:0000", "auth": "sandbox/python:0000"}
    why = difference(replace(state, images=images), compose_file(), None, os.environ)
    assert why == "its images differ from this checkout's (auth, catalog)"


def test_an_image_override_in_the_environment_is_a_difference():
    state = _current_state()
    variables = {**os.environ, "SANDBOX_IMAGE_TOXIPROXY": "sandbox/official-toxiproxy:1"}
    assert difference(state, compose_file(), None, variables) == (
        "its images differ from this checkout's (toxiproxy)")


def test_an_edited_compose_file_is_a_difference(tmp_path):
    state = _current_state()
    edited = tmp_path / "docker-compose.yml"
    edited.write_bytes(compose_file().read_bytes() + b"\n# edited\n")
    assert difference(state, edited, None, os.environ) == (
        "its compose file differs from this checkout's")


def test_a_run_that_recorded_no_images_is_not_taken_for_current():
    state = replace(_current_state(), images={}, compose_digest=None)
    why = difference(state, compose_file(), None, os.environ)
    assert why == "it was started by a version of the sandbox that does not record its images"
