"""auth: enrolled clients, the tokens issued to their users, the gateway's verify call.

A token is issued only for an enrolled client's API key and its user's credentials (as
returned by ``POST /v1/admin/clients``); ``/internal/verify`` answers 200 with the
identity headers only for an API key and a bearer token issued to that key's client,
401 otherwise, as auth does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from ..plugins import Answer, Call, ServicePlugin
from ..state import Collection

CLIENTS = Collection("clients", key="client_id", create="POST /v1/admin/clients")
TOKENS = Collection("tokens", key="access_token")
VERIFY = "GET /internal/verify"
TOKEN = "POST /v1/auth/token"
# the built-in roles' permissions (the issue-8 contract); the proof is signed with a mock key
ROLE_PERMISSIONS = {
    "customer": ("products:read", "orders:read", "orders:write", "customers:read",
                 "payments:read", "webhooks:read", "webhooks:write"),
}
MOCK_IDENTITY_KEY = b"mock-identity-key"
MOCK_PROOF_EXPIRES = 4102444800
"""A fixed expiry (2100-01-01): the recorded pacts stay byte-stable."""


def identity_proof(user_id: str, client_id: str, roles: str, permissions: str) -> str:
    """X-Identity-Proof as auth signs it: v1.<expires_at>.<base64url HMAC-SHA256>."""
    expires = MOCK_PROOF_EXPIRES
    message = f"v1\n{expires}\n{user_id}\n{client_id}\n{roles}\n{permissions}".encode()
    mac = hmac.new(MOCK_IDENTITY_KEY, message, hashlib.sha256).digest()
    return f"v1.{expires}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


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
        roles = ",".join(issued["roles"])
        permissions = ",".join(sorted({p for r in issued["roles"]
                                       for p in ROLE_PERMISSIONS.get(r, ())}))
        return Answer(200, headers={"X-User-Id": issued["user_id"],
                                    "X-Client-Id": issued["client_id"],
                                    "X-User-Roles": roles,
                                    "X-User-Permissions": permissions,
                                    "X-Identity-Proof": identity_proof(
                                        issued["user_id"], issued["client_id"], roles,
                                        permissions)},
                      provider_state=f"a token was issued to client {issued['client_id']}")
