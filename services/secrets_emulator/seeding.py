"""Seed secrets into the emulator through boto3, the way services will read them back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"


def parse_seed(raw: str | None) -> dict[str, str]:
    """Parse `SANDBOX_SECRETS_SEED`: a JSON object of string names to string values.

    >>> parse_seed('{"/sandbox/dev/a": "x"}')
    {'/sandbox/dev/a': 'x'}
    >>> parse_seed("")
    {}
    """
    if not raw or not raw.strip():
        return {}
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError("SANDBOX_SECRETS_SEED must be a JSON object {name: value}")  # noqa: TRY004
    seed: dict[str, str] = {}
    for name, value in doc.items():
        if not isinstance(value, str) or not name:
            raise ValueError(f"SANDBOX_SECRETS_SEED entry {name!r} must map a name to a string")
        seed[name] = value
    return seed


def make_client(service: str, endpoint: str) -> Any:
    """A boto3 client of `service` ("ssm" or "secretsmanager") with dummy credentials."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
    )


def seed_secrets(endpoint: str, seed: Mapping[str, str]) -> int:
    """Write every secret to SSM (SecureString) and Secrets Manager; return how many."""
    ssm = make_client("ssm", endpoint)
    sm = make_client("secretsmanager", endpoint)
    for name, value in seed.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        try:
            sm.create_secret(Name=name, SecretString=value)
        except sm.exceptions.ResourceExistsException:
            sm.put_secret_value(SecretId=name, SecretString=value)
    return len(seed)
