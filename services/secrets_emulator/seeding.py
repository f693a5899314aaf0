"""Seed secrets into the emulator through the AWS APIs, the way services read them back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from services.platform.aws_json import AwsError, SecretsManagerClient, SsmClient

from .wire import REGION


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


def seed_secrets(endpoint: str, seed: Mapping[str, str]) -> int:
    """Write every secret to SSM (SecureString) and Secrets Manager; return how many."""
    ssm = SsmClient(endpoint, REGION, "sandbox", "sandbox")
    sm = SecretsManagerClient(endpoint, REGION, "sandbox", "sandbox")
    for name, value in seed.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        try:
            sm.create_secret(Name=name, SecretString=value)
        except AwsError as exc:
            if exc.code != "ResourceExistsException":
                raise
            sm.put_secret_value(SecretId=name, SecretString=value)
    return len(seed)
