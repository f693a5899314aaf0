"""Minimal AWS clients for Parameter Store (SSM) and Secrets Manager, over AWS JSON 1.1.

Services read a handful of secrets once at start. boto3 would cost every one of the
topology's Python processes about half a second of CPU to import and build a client;
this speaks the same wire protocol (JSON 1.1, Signature Version 4) with the standard
library, so it works against the emulator and against the real service alike. Calls
take boto3's keyword names and give back boto3's return shapes.

>>> ssm = SsmClient("http://secrets:5000", "us-east-1", "sandbox", "sandbox")  # doctest: +SKIP
>>> ssm.get_parameter(Name="/sandbox/dev/cache/password", WithDecryption=True)  # doctest: +SKIP
{'Parameter': {'Name': '/sandbox/dev/cache/password', 'Value': '...', ...}}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

CONTENT_TYPE = "application/x-amz-json-1.1"


class AwsError(Exception):
    """The service answered with an error: ``code`` is AWS's error code."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class AwsUnreachable(Exception):
    """No answer: connection refused, a timeout, or an unreadable response."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    service: str,
    region: str,
    access_key: str,
    secret_key: str,
    now: dt.datetime,
) -> dict[str, str]:
    """Return ``headers`` plus ``X-Amz-Date`` and a SigV4 ``Authorization`` header."""
    parts = urllib.parse.urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {k.lower(): v.strip() for k, v in headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            parts.query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service),
                "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = dict(headers)
    out["X-Amz-Date"] = amz_date
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


class AwsJsonClient:
    """One AWS JSON 1.1 service: ``call("GetParameter", {...})`` with explicit timeouts."""

    SERVICE = ""  # the signing name: "ssm", "secretsmanager"
    TARGET = ""  # the X-Amz-Target prefix: "AmazonSSM", "secretsmanager"

    def __init__(
        self,
        endpoint: str,
        region: str,
        access_key: str,
        secret_key: str,
        *,
        timeout: float = 5.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/") + "/"
        self._region = region
        self._access_key = access_key
        self._secret_key = secret_key
        self._timeout = timeout

    def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one action; its JSON answer, or `AwsError` / `AwsUnreachable`."""
        body = json.dumps(payload).encode()
        headers = sign(
            method="POST",
            url=self._endpoint,
            headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{self.TARGET}.{action}"},
            body=body,
            service=self.SERVICE,
            region=self._region,
            access_key=self._access_key,
            secret_key=self._secret_key,
            now=dt.datetime.now(dt.UTC),
        )
        request = urllib.request.Request(self._endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _error(exc) from None
        except (OSError, ValueError) as exc:  # refused, timeout, reset, bad JSON
            raise AwsUnreachable(f"{self._endpoint}: {exc}") from exc


class SsmClient(AwsJsonClient):
    """Parameter Store: the calls the sandbox makes (read, and write for seeding)."""

    SERVICE, TARGET = "ssm", "AmazonSSM"

    def get_parameter(self, Name: str, WithDecryption: bool = False) -> dict[str, Any]:
        return self.call("GetParameter", {"Name": Name, "WithDecryption": WithDecryption})

    def put_parameter(self, Name: str, Value: str, Type: str = "String",
                      Overwrite: bool = False) -> dict[str, Any]:
        return self.call("PutParameter",
                         {"Name": Name, "Value": Value, "Type": Type, "Overwrite": Overwrite})


class SecretsManagerClient(AwsJsonClient):
    """Secrets Manager: create, write a new version, read."""

    SERVICE, TARGET = "secretsmanager", "secretsmanager"

    def create_secret(self, Name: str, SecretString: str) -> dict[str, Any]:
        return self.call("CreateSecret", {"Name": Name, "SecretString": SecretString})

    def put_secret_value(self, SecretId: str, SecretString: str) -> dict[str, Any]:
        return self.call("PutSecretValue", {"SecretId": SecretId, "SecretString": SecretString})

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        return self.call("GetSecretValue", {"SecretId": SecretId})


def _error(exc: urllib.error.HTTPError) -> Exception:
    try:
        data = json.loads(exc.read() or b"{}")
    except ValueError:
        data = {}
    code = str(data.get("__type") or data.get("code") or "").rsplit("#", 1)[-1]
    if not code:
        return AwsUnreachable(f"HTTP {exc.code} without an AWS error body")
    return AwsError(code, str(data.get("message") or data.get("Message") or ""))
