"""Events auth publishes (through its outbox, relayed by its worker)."""

from __future__ import annotations

from typing import ClassVar

from services.platform.events import EventPayload


class TokenIssued(EventPayload):
    """An access token was issued to a user of a client."""

    event_type: ClassVar[str] = "auth.token_issued"

    user_id: str
    client_id: str
    roles: list[str]


class ClientEnrolled(EventPayload):
    """A source was enrolled: a client, its API key (only its prefix here) and a first user."""

    event_type: ClassVar[str] = "auth.client_enrolled"

    client_id: str
    user_id: str
    name: str
    key_prefix: str
