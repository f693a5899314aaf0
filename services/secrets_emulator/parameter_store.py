"""SSM Parameter Store in memory: put, get (one, several, by path, `name:version`), delete.

Answers have the fields and error codes of AWS's: `ParameterNotFound`,
`ParameterAlreadyExists`, `ParameterVersionNotFound`, `ValidationException`. A
`SecureString` read without decryption gives an opaque stand-in for the ciphertext, never
the value.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .wire import ACCOUNT, REGION, Action, AwsFault, count, flag, invalid, optional_text, text

TYPES = ("String", "StringList", "SecureString")
MAX_VALUE = 8192  # the advanced tier's bound; the standard tier's is 4096
HISTORY = 100  # versions kept per parameter, as AWS does


@dataclass(frozen=True)
class Version:
    name: str
    type: str
    value: str
    version: int
    modified: float


def not_found(name: str) -> AwsFault:
    return AwsFault("ParameterNotFound", f"Parameter {name} not found.")


class ParameterStore:
    """The parameters of one emulator; thread-safe."""

    signing_name = "ssm"
    target = "AmazonSSM"

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._history: dict[str, list[Version]] = {}

    def actions(self) -> Mapping[str, Action]:
        return {"PutParameter": self.put, "GetParameter": self.get_one,
                "GetParameters": self.get_many, "GetParametersByPath": self.get_by_path,
                "DeleteParameter": self.delete}

    # -- actions ---------------------------------------------------------------------------

    def put(self, payload: dict[str, Any]) -> dict[str, Any]:
        name = _name(payload)
        value = text(payload, "Value", max_len=MAX_VALUE)
        kind = optional_text(payload, "Type")
        if kind is not None and kind not in TYPES:
            raise invalid(f"Type must be one of {', '.join(TYPES)}")
        overwrite = flag(payload, "Overwrite")
        with self._lock:
            versions = self._history.get(name)
            if versions and not overwrite:
                raise AwsFault("ParameterAlreadyExists",
                               "The parameter already exists. To overwrite this value, set "
                               "the overwrite option in the request to true.")
            if not versions and kind is None:
                raise invalid("A parameter type is required when you create a parameter.")
            last = versions[-1] if versions else None  # without one, `kind` is set (above)
            entry = Version(name, kind or (last.type if last else ""), value,
                            last.version + 1 if last else 1, self._clock())
            self._history[name] = ((versions or []) + [entry])[-HISTORY:]
        return {"Version": entry.version, "Tier": "Standard"}

    def get_one(self, payload: dict[str, Any]) -> dict[str, Any]:
        decrypt = flag(payload, "WithDecryption")
        return {"Parameter": self._shown(self._find(_name(payload, selector=True)), decrypt)}

    def get_many(self, payload: dict[str, Any]) -> dict[str, Any]:
        names = payload.get("Names")
        if not isinstance(names, list) or not 1 <= len(names) <= 10:
            raise invalid("Names must be a list of 1 to 10 parameter names")
        decrypt = flag(payload, "WithDecryption")
        found, invalid_names = [], []
        for raw in names:
            name = _name({"Name": raw}, selector=True)
            try:
                found.append(self._shown(self._find(name), decrypt))
            except AwsFault:
                invalid_names.append(name)
        return {"Parameters": found, "InvalidParameters": invalid_names}

    def get_by_path(self, payload: dict[str, Any]) -> dict[str, Any]:
        path = text(payload, "Path")
        if not path.startswith("/"):
            raise invalid("Path must start with /")
        prefix = path.rstrip("/") + "/"
        recursive = flag(payload, "Recursive")
        decrypt = flag(payload, "WithDecryption")
        page = count(payload, "MaxResults", low=1, high=10, default=10)
        start = _token(payload)
        with self._lock:
            latest = [v[-1] for n, v in sorted(self._history.items())
                      if n.startswith(prefix) and (recursive or "/" not in n[len(prefix):])]
        chosen = latest[start:start + page]
        answer: dict[str, Any] = {"Parameters": [self._shown(v, decrypt) for v in chosen]}
        if start + page < len(latest):
            answer["NextToken"] = str(start + page)
        return answer

    def delete(self, payload: dict[str, Any]) -> dict[str, Any]:
        name = _name(payload)
        with self._lock:
            if self._history.pop(name, None) is None:
                raise not_found(name)
        return {}

    # -- helpers ---------------------------------------------------------------------------

    def _find(self, selector: str) -> Version:
        name, _, wanted = selector.partition(":")
        with self._lock:
            versions = list(self._history.get(name) or ())
        if not versions:
            raise not_found(selector)
        if not wanted:
            return versions[-1]
        if not wanted.isdigit():
            raise invalid(f"{selector}: the selector after ':' must be a version number")
        for entry in versions:
            if entry.version == int(wanted):
                return entry
        raise AwsFault("ParameterVersionNotFound",
                       f"Systems Manager could not find version {wanted} of {name}.")

    @staticmethod
    def _shown(entry: Version, decrypt: bool) -> dict[str, Any]:
        value = entry.value
        if entry.type == "SecureString" and not decrypt:
            value = "kms:" + hashlib.sha256(f"{entry.name}:{entry.version}".encode()).hexdigest()
        arn_name = entry.name if entry.name.startswith("/") else f"/{entry.name}"
        return {"Name": entry.name, "Type": entry.type, "Value": value,
                "Version": entry.version, "LastModifiedDate": entry.modified,
                "ARN": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{arn_name}",
                "DataType": "text"}


def _name(payload: dict[str, Any], *, selector: bool = False) -> str:
    """The `Name` field: a parameter name (with `selector`, an optional `:version`)."""
    name = text(payload, "Name")
    base = name.partition(":")[0] if selector else name
    if not base or ("/" in base and not base.startswith("/")) or "//" in base:
        raise invalid(f"Parameter name {name!r}: a hierarchical name must start with / "
                      "and have no empty level")
    return name


def _token(payload: dict[str, Any]) -> int:
    token = payload.get("NextToken")
    if token is None:
        return 0
    if not isinstance(token, str) or not token.isdigit():
        raise invalid("NextToken is not one this emulator gave")
    return int(token)
