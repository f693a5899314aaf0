"""Seed secrets into the emulator through boto3, the way services will read them back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"


def read_seed_dir(directory: str | Path, prefix: str) -> dict[str, str]:
    """Every file under `directory` (the run's secret files, `/run/secrets`) as a secret
    named `<prefix>/<relative path>`; dot-files and empty directories are skipped.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); (d / "auth").mkdir()
    >>> _ = (d / "auth" / "db_password").write_text("pw")
    >>> read_seed_dir(d, "/sandbox/dev")
    {'/sandbox/dev/auth/db_password': 'pw'}
    """
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"SANDBOX_SECRETS_DIR={root} is not a directory: mount the run's secrets there")
    seed: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            seed[f"{prefix.rstrip('/')}/{relative.as_posix()}"] = path.read_text()
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
