"""A provider on 127.0.0.1 (ephemeral port) that answers what a pact recorded: Pact's own
verifier replays every interaction against it, which proves the files are Pact v4 that
Pact's core reads, with requests and answers it matches (not that a real provider keeps
them: that is the static check's job, and the live replay's)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class StubState:
    def __init__(self, pact: dict[str, Any]) -> None:
        self.http = [i for i in pact["interactions"] if i["type"] == "Synchronous/HTTP"]
        self.states: set[str] = set()

    def set_state(self, state: str, action: str, parameters: Any = None) -> None:
        if action == "setup" and state:
            self.states.add(state)
        elif action == "teardown":
            self.states.discard(state)

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        lower = {k.lower(): v for k, v in headers.items()}
        for i in self.http:
            req = i["request"]
            wanted_states = {s["name"] for s in i["providerStates"]}
            if (req["method"], req["path"]) != (method, parts.path) or \
                    (req.get("query") or {}) != query or wanted_states != self.states:
                continue
            if any(lower.get(k.lower()) != v[0] for k, v in (req.get("headers") or {}).items()):
                continue
            if "body" in req and json.loads(body or b"null") != req["body"]["content"]:
                continue
            return i["response"]
        return None


@contextmanager
def stub_provider(pact: dict[str, Any]) -> Iterator[tuple[str, StubState]]:
    state = StubState(pact)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            resp = state.answer(self.command, self.path, dict(self.headers), body)
            if resp is None:
                self.send_response(599)
                self.end_headers()
                return
            raw = json.dumps(resp["body"]["content"]).encode() if "body" in resp else b""
            self.send_response(resp["status"])
            for name, values in (resp.get("headers") or {}).items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
