"""What the emulated AWS services share: their contract, their errors, and field checks.

A service (Parameter Store, Secrets Manager) is an `EmulatedService`: the name requests
are signed for, the `X-Amz-Target` prefix, and one function per action from the request's
JSON object to the answer's. An action refuses a request by raising `AwsFault`, which the
server sends as AWS sends errors in JSON 1.1: HTTP 400 and `{"__type", "message"}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

Action = Callable[[dict[str, Any]], dict[str, Any]]

ACCOUNT = "123456789012"
REGION = "us-east-1"


class EmulatedService(Protocol):
    signing_name: str  # the service of the SigV4 credential scope: "ssm"
    target: str  # the X-Amz-Target prefix: "AmazonSSM"

    def actions(self) -> Mapping[str, Action]:
        """Action name ("GetParameter") to its handler."""
        ...


class AwsFault(Exception):
    """An error answer: AWS's error `code`, a message, and the HTTP status (400 by default)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


def invalid(message: str) -> AwsFault:
    return AwsFault("ValidationException", message)


def optional_text(payload: dict[str, Any], name: str, *, max_len: int = 2048,
                  fault: Callable[[str], AwsFault] = invalid) -> str | None:
    """Field `name` as a non-empty string of at most `max_len` characters; None if absent.

    >>> optional_text({}, "Type") is None
    True
    >>> optional_text({"Name": 3}, "Name")
    Traceback (most recent call last):
    ...
    services.secrets_emulator.wire.AwsFault: ValidationException: Name must be a string
    """
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise fault(f"{name} must be a string")
    if not value or len(value) > max_len:
        raise fault(f"{name} must be 1 to {max_len} characters long")
    return value


def text(payload: dict[str, Any], name: str, *, max_len: int = 2048,
         fault: Callable[[str], AwsFault] = invalid) -> str:
    """Field `name`, required: as `optional_text`, and absent is refused.

    >>> text({"Name": "/a"}, "Name")
    '/a'
    """
    value = optional_text(payload, name, max_len=max_len, fault=fault)
    if value is None:
        raise fault(f"{name} is required")
    return value


def flag(payload: dict[str, Any], name: str, fault: Callable[[str], AwsFault] = invalid) -> bool:
    """Field `name` as a boolean; absent is False."""
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise fault(f"{name} must be true or false")
    return value


def count(payload: dict[str, Any], name: str, *, low: int, high: int, default: int,
          fault: Callable[[str], AwsFault] = invalid) -> int:
    """Field `name` as an integer in [low, high]; absent is `default`."""
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fault(f"{name} must be an integer from {low} to {high}")
    return value
