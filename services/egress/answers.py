"""The proxy's own answers: a status, a ``Proxy-Status`` (RFC 9209) naming the error, and
a problem+json body with the reason in one line. Always the last response on the
connection.

>>> print(answer(403, "destination_ip_prohibited", "10.0.0.7 is in a private network")
...       .decode().split("\\r\\n\\r\\n")[0].replace("\\r", ""))
HTTP/1.1 403 Forbidden
Proxy-Status: egress; error=destination_ip_prohibited; details="10.0.0.7 is in a private network"
Content-Type: application/problem+json
Content-Length: 106
Connection: close
>>> proxy_error({"Proxy-Status": 'egress; error=dns_error; details="x"'})
'dns_error'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

PROXY_NAME = "egress"
TITLES = {
    400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
CONNECTED = b"HTTP/1.1 200 Connection Established\r\n\r\n"


def _quoted(text: str) -> str:
    """An sf-string (RFC 8941): printable ASCII, with ``\\`` and ``"`` escaped."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in text)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def answer(status: int, error: str, detail: str) -> bytes:
    """A complete response: status line, Proxy-Status, problem+json body, Connection: close."""
    title = TITLES.get(status, "Error")
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {title}\r\n"
        f"Proxy-Status: {PROXY_NAME}; error={error}; details={_quoted(detail)}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


_ERROR = re.compile(r"(?:^|;)\s*error=([a-z_]+)")


def proxy_error(headers: Mapping[str, str]) -> str | None:
    """The ``error`` this proxy named in a response's ``Proxy-Status``, or None (the
    response then came from the destination)."""
    value = next((v for k, v in headers.items() if k.lower() == "proxy-status"), "")
    if not value.strip().startswith(PROXY_NAME):
        return None
    match = _ERROR.search(value)
    return match.group(1) if match else None
