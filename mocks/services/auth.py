"""auth: enrolled clients, the tokens issued to their users, the gateway's verify call.

A token is issued only for an enrolled client's API key and its user's credentials (as
returned by ``POST /v1/admin/clients``); ``/internal/verify`` answers 200 with the
identity headers only for an API key and a bearer token issued to that key's client,
401 otherwise, as auth does.
"""

from __future__ import annotations

from typing import Any

from ..plugins import Answer, Call, ServicePlugin
from ..state import Collection

CLIENTS = Collection("clients", key="client_id", create="POST /v1/admin/clients")
TOKENS = Collection("tokens", key="access_token")
VERIFY = "GET /internal/verify"
TOKEN = "POST /v1/auth/token"


class AuthPlugin(ServicePlugin):
    name = "auth"
    base_url = "http://auth:8000"
    collections = (CLIENTS, TOKENS)

    def answer(self, call: Call) -> Answer | None:
        if call.op.key == TOKEN:
            return self._token(call)
        if call.op.key == VERIFY:
            return self._verify(call)
        return None

    def _token(self, call: Call) -> Answer:
        body: Any = call.request.body if isinstance(call.request.body, dict) else {}
        key = call.request.headers.get("x-api-key", "")
        client = next((c for c in call.store.items(CLIENTS) if c.get("api_key") == key
                       and c.get("username") == body.get("username")
                       and c.get("password") == body.get("password")), None)
        if client is None:
            return call.problem(401, "unknown API key, or wrong username or password")
        answer = call.generate(call.op.success_status())
        roles = client.get("roles") or ["customer"]
        call.store.put(TOKENS, {"access_token": answer["access_token"],
                                "client_id": client["client_id"], "user_id": client["user_id"],
                                "api_key": key, "roles": roles})
        return Answer(call.op.success_status(), answer, {"Cache-Control": "no-store"},
                      provider_state=f"client {client['client_id']} is enrolled")

    def _verify(self, call: Call) -> Answer:
        headers = call.request.headers
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        issued = call.store.get(TOKENS, token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued["api_key"] != headers.get("x-api-key"):
            answer = call.problem(401, "API key and bearer token required")
            answer.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
            return answer
        return Answer(200, headers={"X-User-Id": issued["user_id"],
                                    "X-Client-Id": issued["client_id"],
                                    "X-User-Roles": ",".join(issued["roles"])},
                      provider_state=f"a token was issued to client {issued['client_id']}")
