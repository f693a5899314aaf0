"""Sending the same requests to the project's server and to the reference Toxiproxy, and
what of their answers is compared.

A request's path and body may hold placeholders filled per server: ``{ECHO}`` (the echo
server both proxy to) and ``{PORT:x}`` (a free port picked for that server, the same for
every use of ``x`` in one test). What depends on which server answered is masked before
comparing: ports bound for ``:0`` listen addresses, the ``{PORT:x}`` ports, request ids
(checked to be xids instead) and dates (checked to be present).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.toxiproxy.netutil import free_port
from tests.toxiproxy.reference import REQUEST_ID

# the headers a client sees whose values must be equal (ids and dates are checked apart)
COMPARED_HEADERS = ("content-type", "x-content-type-options", "location", "connection")
PLACEHOLDER = re.compile(r"\{PORT:(\w+)\}")
_BOUND = re.compile(r'("listen":\s*"[^"]*:)(?!0")\d+"')

comparisons = 0  # steps compared in this session, for the summary line


@dataclass
class Side:
    """One server under comparison and its placeholders."""

    name: str
    url: str
    echo: str
    ports: dict[str, int] = field(default_factory=dict)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def fill(self, text: str) -> str:
        def port(match: re.Match[str]) -> str:
            return str(self.ports.setdefault(match.group(1), free_port()))

        return PLACEHOLDER.sub(port, text.replace("{ECHO}", self.echo))

    def unfill(self, text: str) -> str:
        for key, number in self.ports.items():
            text = re.sub(rf"(?<=:){number}\b", f"{{PORT:{key}}}", text)
        return text

    def send(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        content = self.fill(body).encode() if isinstance(body, str) else body
        return self.client.request(method, self.fill(path), content=content,
                                   headers=headers or {})

    def delete_all(self) -> None:
        for name in self.client.get("/proxies").json():
            self.client.delete(f"/proxies/{name}")

    def close(self) -> None:
        self.client.close()


def mask_bound_ports(value: Any) -> Any:
    """``listen`` values with their bound port replaced (``127.0.0.1:PORT``)."""
    if isinstance(value, dict):
        return {k: (re.sub(r":\d+\Z", ":PORT", v) if k == "listen" and isinstance(v, str)
                    and not v.endswith(":0") and "{PORT:" not in v else mask_bound_ports(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_bound_ports(v) for v in value]
    return value


def observe(side: Side, response: httpx.Response) -> dict[str, Any]:
    """What a client can tell of a response, with what depends on the server masked."""
    headers = response.headers
    request_id = headers.get("x-toxiproxy-request-id")
    text = side.unfill(response.content.decode("utf-8", errors="replace"))
    seen: dict[str, Any] = {
        "status": response.status_code,
        "headers": {name: headers.get(name) for name in COMPARED_HEADERS},
        "header names": sorted(set(headers) - {"date"}),
        "date sent": "date" in headers,
        "request id": None if request_id is None else bool(REQUEST_ID.match(request_id)),
    }
    if headers.get("content-type", "").startswith("application/json") and text:
        seen["json"] = mask_bound_ports(json.loads(text))
        seen["json text"] = _BOUND.sub(r'\1PORT"', text)  # Go's compact form, byte for byte
    else:
        seen["text"] = text
    return seen


def compare(sides: list[Side], method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Send one request to every side; assert what a client sees is the same."""
    global comparisons
    seen = [observe(side, side.send(method, path, body, headers)) for side in sides]
    comparisons += 1
    ours, reference = seen
    assert ours == reference, f"{method} {path} {body!r}: ours {ours} != reference {reference}"
    return seen
