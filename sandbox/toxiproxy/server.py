"""The server: the REST API and the proxies it manages, on one asyncio loop.

async def main():
    server = ToxiproxyServer()
    await server.start("127.0.0.1", 8474)
    await server.populate_file("populate.json")   # optional
    await server.serve_forever()
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sandbox.toxiproxy import errors, gojson
from sandbox.toxiproxy.api import VERSION, ToxiproxyApi, populate_specs
from sandbox.toxiproxy.http_server import serve
from sandbox.toxiproxy.logs import log
from sandbox.toxiproxy.proxy_collection import ProxyCollection


class ToxiproxyServer:
    """A Toxiproxy-compatible server (API + proxies)."""

    def __init__(self) -> None:
        self.collection = ProxyCollection()
        self.api = ToxiproxyApi(self.collection)
        self._http: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The API's bound port (useful after ``start(port=0)``)."""
        assert self._http is not None, "start() first"
        return int(self._http.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 8474) -> None:
        self._http = await serve(self.api, host, port)
        log("api_started", host=host, port=self.port, version=VERSION)

    async def populate_file(self, path: str | Path) -> int:
        """Create the proxies of a populate JSON file (as ``POST /populate``)."""
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise errors.ApiError(f"cannot read config {path}: {exc}", 400) from None
        return await self.populate_text(text, str(path))

    async def populate_text(self, text: str, source: str) -> int:
        """Create the proxies of a populate JSON document; ``source`` names it in logs.
        Raises ApiError on the first failure (nothing after it is created)."""
        try:
            body = gojson.parse(text.encode())
        except gojson.GoJsonError as exc:
            raise errors.ApiError(f"cannot read config {source}: {exc}", 400) from None
        result = await self.collection.populate(populate_specs(body))
        if result.error is not None:
            raise result.error
        log("populated", config=source, proxies=len(result.proxies))
        return len(result.proxies)

    async def serve_forever(self) -> None:
        assert self._http is not None, "start() first"
        await self._http.serve_forever()

    async def close(self) -> None:
        """Stop the API and every proxy."""
        if self._http is not None:
            self._http.close()
            self._http = None
        for proxy in self.collection.proxies.values():
            proxy.stop()
