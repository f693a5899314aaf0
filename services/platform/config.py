"""Environment variables → typed settings (see compose/docker-compose.yml `x-python-env`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Typed view of a service container's environment.

    >>> s = Settings.from_env({"SERVICE_NAME": "catalog", "SANDBOX_ENV": "test"})
    >>> s.database_name, s.secret_name("cache/password")
    ('catalog_test', '/sandbox/test/cache/password')
    """

    service: str
    env: str = "dev"
    secrets_endpoint: str = "http://secrets:5000"
    secrets_prefix: str = "/sandbox/dev"
    database_host: str = "postgres"
    database_port: int = 5432
    broker_host: str = "broker"
    broker_port: int = 5672
    broker_user: str = "sandbox"
    cache_host: str = "cache"
    cache_port: int = 6379
    auth_url: str = "http://auth:8000"
    catalog_url: str = "http://catalog:8000"
    payments_url: str = "http://payments:8000"
    gateway_cache_url: str = ""  # the gateway whose product-read cache the catalog purges
    http_port: int = 8000
    worker_port: int = 8001
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default `os.environ`); SERVICE_NAME is required."""
        e = os.environ if environ is None else environ
        service = e.get("SERVICE_NAME", "").strip()
        if not service:
            raise RuntimeError("SERVICE_NAME is not set: the container must name its service")
        env = e.get("SANDBOX_ENV", "dev") or "dev"
        return cls(
            service=service,
            env=env,
            secrets_endpoint=e.get("SECRETS_ENDPOINT", cls.secrets_endpoint),
            secrets_prefix=(e.get("SECRETS_PREFIX") or f"/sandbox/{env}").rstrip("/"),
            database_host=e.get("DATABASE_HOST", cls.database_host),
            database_port=int(e.get("DATABASE_PORT", cls.database_port)),
            broker_host=e.get("BROKER_HOST", cls.broker_host),
            broker_port=int(e.get("BROKER_PORT", cls.broker_port)),
            broker_user=e.get("BROKER_USER", cls.broker_user),
            cache_host=e.get("CACHE_HOST", cls.cache_host),
            cache_port=int(e.get("CACHE_PORT", cls.cache_port)),
            auth_url=e.get("AUTH_URL", cls.auth_url).rstrip("/"),
            catalog_url=e.get("CATALOG_URL", cls.catalog_url).rstrip("/"),
            payments_url=e.get("PAYMENTS_URL", cls.payments_url).rstrip("/"),
            gateway_cache_url=e.get("GATEWAY_CACHE_URL", cls.gateway_cache_url).rstrip("/"),
            http_port=int(e.get("HTTP_PORT", cls.http_port)),
            worker_port=int(e.get("WORKER_PORT", cls.worker_port)),
            log_level=e.get("LOG_LEVEL", cls.log_level).upper(),
        )

    @property
    def database_name(self) -> str:
        """`<service>_<env>`, the database owned by the role named after the service."""
        return f"{self.service}_{self.env}"

    def secret_name(self, name: str) -> str:
        """The full parameter name of secret `name` (e.g. `cache/password`)."""
        return f"{self.secrets_prefix}/{name.lstrip('/')}"
