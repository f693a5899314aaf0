"""Secrets Manager in memory: create a secret, put new versions, read one back.

A new version takes the stage `AWSCURRENT` and the one it replaces `AWSPREVIOUS`, as a
rotation does in AWS. A secret is named by its name or its ARN. Error codes are AWS's:
`ResourceNotFoundException`, `ResourceExistsException`, `InvalidParameterException`,
`InvalidRequestException`.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .wire import ACCOUNT, REGION, Action, AwsFault, optional_text, text

MAX_SECRET = 65536  # AWS's bound on a secret value, in bytes
CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"


def bad(message: str) -> AwsFault:
    return AwsFault("InvalidParameterException", message)


def not_found() -> AwsFault:
    return AwsFault("ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret.")


@dataclass
class Secret:
    name: str
    arn: str
    created: float
    values: dict[str, str] = field(default_factory=dict)  # version id -> SecretString
    created_at: dict[str, float] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)  # stage -> version id

    def stages_of(self, version: str) -> list[str]:
        return sorted(stage for stage, v in self.stages.items() if v == version)


class SecretsManager:
    """The secrets of one emulator; thread-safe."""

    signing_name = "secretsmanager"
    target = "secretsmanager"

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._secrets: dict[str, Secret] = {}

    def actions(self) -> Mapping[str, Action]:
        return {"CreateSecret": self.create, "PutSecretValue": self.put,
                "GetSecretValue": self.get}

    def create(self, payload: dict[str, Any]) -> dict[str, Any]:
        name = text(payload, "Name", max_len=512, fault=bad)
        value = text(payload, "SecretString", max_len=MAX_SECRET, fault=bad)
        token = _version_id(payload)
        with self._lock:
            if name in self._secrets:
                raise AwsFault("ResourceExistsException",
                               f"The operation failed because the secret {name} already exists.")
            suffix = secrets.token_hex(3)
            secret = Secret(name, f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-{suffix}",
                            self._clock())
            self._secrets[name] = secret
            self._add(secret, token, value)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}

    def put(self, payload: dict[str, Any]) -> dict[str, Any]:
        value = text(payload, "SecretString", max_len=MAX_SECRET, fault=bad)
        token = _version_id(payload)
        with self._lock:
            secret = self._find(payload)
            if token in secret.values:
                if secret.values[token] != value:
                    raise AwsFault("ResourceExistsException",
                                   f"Version {token} already exists with another value.")
            else:
                self._add(secret, token, value)
            return {"ARN": secret.arn, "Name": secret.name, "VersionId": token,
                    "VersionStages": secret.stages_of(token)}

    def get(self, payload: dict[str, Any]) -> dict[str, Any]:
        version = optional_text(payload, "VersionId", max_len=64, fault=bad)
        stage = optional_text(payload, "VersionStage", max_len=256, fault=bad)
        with self._lock:
            secret = self._find(payload)
            if version is None:
                version = secret.stages.get(stage or CURRENT)
                if version is None:
                    raise AwsFault("ResourceNotFoundException",
                                   f"Secrets Manager can't find the secret value for staging "
                                   f"label: {stage}")
            elif version not in secret.values or (stage and secret.stages.get(stage) != version):
                raise AwsFault("ResourceNotFoundException",
                               f"Secrets Manager can't find the secret value for VersionId: "
                               f"{version}")
            return {"ARN": secret.arn, "Name": secret.name, "VersionId": version,
                    "SecretString": secret.values[version],
                    "VersionStages": secret.stages_of(version),
                    "CreatedDate": secret.created_at[version]}

    def _find(self, payload: dict[str, Any]) -> Secret:
        ident = text(payload, "SecretId", max_len=2048, fault=bad)
        secret = self._secrets.get(ident)
        if secret is None:
            secret = next((s for s in self._secrets.values() if s.arn == ident), None)
        if secret is None:
            raise not_found()
        return secret

    def _add(self, secret: Secret, version: str, value: str) -> None:
        secret.values[version] = value
        secret.created_at[version] = self._clock()
        current = secret.stages.get(CURRENT)
        if current is not None:
            secret.stages[PREVIOUS] = current
        secret.stages[CURRENT] = version


def _version_id(payload: dict[str, Any]) -> str:
    """`ClientRequestToken` (the new version's id, 32 to 64 characters) or a fresh UUID."""
    token = payload.get("ClientRequestToken")
    if token is None:
        return str(uuid.uuid4())
    if not isinstance(token, str) or not 32 <= len(token) <= 64:
        raise bad("ClientRequestToken must be a string of 32 to 64 characters")
    return token
