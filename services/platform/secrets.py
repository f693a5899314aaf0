"""Read secrets from the Parameter Store emulator (SSM GetParameter WithDecryption)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .aws_json import AwsError, AwsUnreachable, SsmClient
from .config import Settings

_RETRYABLE_CODES = {"ParameterNotFound", "ThrottlingException", "InternalServerError"}


class SecretsUnavailable(RuntimeError):
    """The secrets emulator did not give a secret before the deadline."""


class SecretsClient:
    """Fetch `${SECRETS_PREFIX}/<name>` values, retrying until the emulator answers.

    Every call has a connect/read timeout; retries stop after `deadline` seconds.

    >>> client = SecretsClient(Settings(service="catalog"))   # doctest: +SKIP
    >>> client.get("cache/password")                         # doctest: +SKIP
    'k3...'
    """

    def __init__(
        self,
        settings: Settings,
        *,
        deadline: float = 30.0,
        ssm: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._deadline = deadline
        self._clock = clock
        self._pause = pause
        self._cache: dict[str, str] = {}
        self._read_at: dict[str, float] = {}
        self._ssm = ssm or SsmClient(
            settings.secrets_endpoint, "us-east-1", "sandbox", "sandbox", timeout=3.0
        )

    def get(self, name: str, *, max_age_s: float | None = None) -> str:
        """Return the decrypted value of secret `name`; raise SecretsUnavailable on deadline.

        Values are kept once read; with `max_age_s`, one older than that is read again,
        so a secret rotated in the emulator is seen within `max_age_s`."""
        if name in self._cache and (
                max_age_s is None or self._clock() - self._read_at[name] < max_age_s):
            return self._cache[name]
        full = self._settings.secret_name(name)
        end = self._clock() + self._deadline
        delay = 0.2
        while True:
            try:
                value = self._ssm.get_parameter(Name=full, WithDecryption=True)["Parameter"][
                    "Value"
                ]
                self._cache[name] = value
                self._read_at[name] = self._clock()
                return value
            except AwsError as exc:
                if exc.code not in _RETRYABLE_CODES:
                    raise SecretsUnavailable(f"secret {full}: {exc}") from exc
                last: Exception = exc
            except AwsUnreachable as exc:  # connection refused, timeouts, endpoint down
                last = exc
            if self._clock() + delay > end:
                raise SecretsUnavailable(
                    f"secret {full} not readable from {self._settings.secrets_endpoint} "
                    f"within {self._deadline:.0f}s: {last}"
                ) from last
            self._pause(delay)
            delay = min(delay * 2, 2.0)
