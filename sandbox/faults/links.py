"""Faults on links, through the links' proxy (any Toxiproxy 2.x server).

A fault's id is ``<link>/<toxic name>``, or ``<link>/down`` for a link that refuses
connections. Names are checked first: a link or an id that does not exist is one error
naming the valid ones.

>>> faults = LinkFaults("http://127.0.0.1:8474")             # doctest: +SKIP
>>> faults.add("catalog->postgres", parse_fault(["latency=300ms"]))  # doctest: +SKIP
'catalog->postgres/latency_downstream'
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from sandbox.errors import NotRunning, SandboxError
from sandbox.faults.spec import Fault

DOWN = "down"
STREAMS = ("downstream", "upstream")


class UnknownName(SandboxError):
    pass


class LinkFaults:
    """Add, list and remove link faults through the proxy's REST API at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        try:
            return requests.request(method, self._base + path, json=body, timeout=self._timeout)
        except requests.RequestException as e:
            raise NotRunning(
                f"the links proxy does not answer at {self._base} ({type(e).__name__})",
                "check it with `sandbox status`",
            ) from None

    def proxies(self) -> dict[str, dict[str, Any]]:
        return self._call("GET", "/proxies").json()

    def _link(self, name: str) -> dict[str, Any]:
        proxies = self.proxies()
        if name not in proxies:
            raise UnknownName(
                f"no link named {name!r}", f"use one of: {', '.join(sorted(proxies))}"
            )
        return proxies[name]

    def add(self, link: str, fault: Fault, stream: str = "downstream", toxicity: float = 1.0) -> str:
        """Inject ``fault`` on ``link``; returns the fault's id."""
        self._link(link)
        path = f"/proxies/{quote(link, safe='')}"
        if fault.kind == DOWN:
            self._call("POST", path, {"enabled": False}).raise_for_status()
            return f"{link}/{DOWN}"
        if stream not in STREAMS:
            raise SandboxError(f"unknown stream {stream!r}", f"use one of {', '.join(STREAMS)}")
        name = f"{fault.kind}_{stream}"
        toxic = {"name": name, "type": fault.kind, "stream": stream, "toxicity": toxicity,
                 "attributes": fault.attributes}  # fmt: skip
        response = self._call("POST", f"{path}/toxics", toxic)
        if response.status_code == 409:
            raise SandboxError(
                f"link {link} already has a {fault.kind} fault on {stream} ({link}/{name})",
                f"remove it first: `sandbox fault rm {link}/{name}`",
            )
        if response.status_code >= 400:
            raise SandboxError(
                f"the proxy refused the fault: {response.json().get('error', response.text)}",
                "check the attributes (see `sandbox fault add --help`)",
            )
        return f"{link}/{name}"

    def list(self) -> list[dict[str, Any]]:
        """One row per fault: id, link, kind, stream, toxicity, attributes."""
        rows = []
        for name, proxy in sorted(self.proxies().items()):
            if not proxy.get("enabled", True):
                rows.append({"id": f"{name}/{DOWN}", "link": name, "kind": DOWN, "stream": "both",
                             "toxicity": 1.0, "attributes": {}})  # fmt: skip
            for t in proxy.get("toxics") or []:
                rows.append({"id": f"{name}/{t['name']}", "link": name, "kind": t["type"],
                             "stream": t["stream"], "toxicity": t.get("toxicity", 1.0),
                             "attributes": t.get("attributes", {})})  # fmt: skip
        return rows

    def remove(self, fault_id: str) -> None:
        """Remove one fault by its id (see ``list``)."""
        ids = [row["id"] for row in self.list()]
        if fault_id not in ids:
            raise UnknownName(
                f"no fault with id {fault_id!r}",
                f"use one of: {', '.join(ids)}" if ids else "there is none (`sandbox fault ls`)",
            )
        link, _, name = fault_id.rpartition("/")
        path = f"/proxies/{quote(link, safe='')}"
        if name == DOWN:
            self._call("POST", path, {"enabled": True}).raise_for_status()
        else:
            self._call("DELETE", f"{path}/toxics/{quote(name, safe='')}").raise_for_status()

    def clear(self) -> None:
        """Every link enabled, every toxic removed (Toxiproxy's ``POST /reset``)."""
        self._call("POST", "/reset").raise_for_status()
