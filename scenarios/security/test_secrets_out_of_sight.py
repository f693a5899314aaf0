"""Secrets out of sight: every value the run generated is a canary, and none of them
shows in any container's description (environment, command, labels, healthcheck), in an
image's history, in a container's logs, in the processes' environment or in the metrics
Prometheus holds. Secrets reach containers as files under /run/secrets only."""

from __future__ import annotations

import json
from typing import Any

import docker.errors
import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.security]


def run_containers(sandbox: Any) -> dict[str, Any]:
    """Every container of the run, refreshed; one that another test started and removed
    meanwhile (the network probe is labelled like the run) cannot hold a secret: dropped."""
    containers = {}
    for service, container in sandbox.containers().items():
        try:
            container.reload()
        except docker.errors.NotFound:
            continue
        containers[service] = container
    assert {"postgres", "auth", "gateway"} <= containers.keys(), "the run's containers were not listed"
    return containers


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return sorted(name for name, value in secrets.items() if value and value in text)


def canaries(sandbox: Any) -> dict[str, str]:
    # the PEM key also appears line by line when printed: its body lines are canaries too
    values = dict(sandbox.state.secrets)
    for name, value in sandbox.state.secrets.items():
        for i, line in enumerate(value.splitlines()):
            if len(line) >= 32 and "-----" not in line:
                values[f"{name}#line{i}"] = line
    return values


def test_no_secret_is_in_any_containers_description(sandbox):
    secrets = canaries(sandbox)
    for service, container in run_containers(sandbox).items():
        described = json.dumps({"config": container.attrs["Config"],
                                "host": container.attrs["HostConfig"]})
        assert leaked(described, secrets) == [], f"{service}'s docker inspect shows a secret"


def test_no_secret_is_in_any_image_history(sandbox):
    secrets = canaries(sandbox)
    containers = run_containers(sandbox)
    images = {c.attrs["Config"]["Image"] for c in containers.values()}
    client = next(iter(containers.values())).client
    for image in sorted(images):
        history = json.dumps(client.images.get(image).history())
        assert leaked(history, secrets) == [], f"image {image}'s history shows a secret"


def test_no_secret_is_in_any_log(sandbox, enrolled_client):
    enrolled_client.get("/v1/customers/me")  # a token issued and used: the logs are busy
    secrets = canaries(sandbox)
    for service, container in run_containers(sandbox).items():
        try:
            logs = container.logs().decode(errors="replace")
        except docker.errors.NotFound:
            continue
        assert leaked(logs, secrets) == [], f"{service}'s log shows a secret"


def test_no_secret_is_in_the_metrics(sandbox):
    secrets = canaries(sandbox)
    response = httpx.get(f"{sandbox.url('prometheus')}/federate",
                         params={"match[]": '{__name__=~".+"}'}, timeout=30)
    assert response.status_code == 200 and "up{" in response.text
    assert leaked(response.text, secrets) == []


def test_secrets_are_files_of_the_services_that_list_them(sandbox):
    code, out = sandbox.exec("postgres", ["sh", "-c", "cat /run/secrets/postgres/password"])
    assert code == 0 and out == sandbox.secret("postgres/password")
    code, out = sandbox.exec("postgres", ["sh", "-c", "ls /run/secrets/broker 2>&1"])
    assert code != 0, "postgres was given the broker's secret"
    code, out = sandbox.exec("auth", ["sh", "-c", "ls /run/secrets 2>&1"])
    assert code != 0, "a service that reads its secrets from the emulator got files"
    code, _ = sandbox.exec("postgres", ["sh", "-c", "echo x > /run/secrets/postgres/password"])
    assert code != 0, "the secret files are writable from the container"
