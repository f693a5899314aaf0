"""Event payloads as pydantic models, registered by their event type where they are defined.

Each publishing service declares its events in `services/<service>/events.py`; a
publisher builds the payload through its model, so a payload that breaks its own
contract fails where it is made, and the AsyncAPI document (`mocks/contracts/`) is
generated from these same classes.

>>> class Pinged(EventPayload):
...     event_type: ClassVar[str] = "demo.pinged"
...     order_id: str
>>> Pinged(order_id="o1").data()
{'order_id': 'o1'}
>>> PAYLOADS["demo.pinged"] is Pinged
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

PAYLOADS: dict[str, type[EventPayload]] = {}
"""Event type → its payload model, filled as the services' `events` modules are imported."""


class EventPayload(BaseModel):
    """The `data` of one event type; subclasses set `event_type` (the routing key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if not isinstance(event_type, str):
            raise TypeError(f"{cls.__qualname__} must set event_type (a routing key)")
        known = PAYLOADS.get(event_type)
        if known is not None and (known.__module__, known.__qualname__) != (
                cls.__module__, cls.__qualname__):
            raise ValueError(f"event type {event_type!r} is declared twice: "
                             f"{known.__module__}.{known.__qualname__} and "
                             f"{cls.__module__}.{cls.__qualname__}")
        PAYLOADS[event_type] = cls

    def data(self) -> dict[str, Any]:
        """The payload as the envelope's JSON `data`."""
        return self.model_dump(mode="json")


class Envelope(BaseModel):
    """Every message on the broker: what `broker.make_envelope` builds (routing key = `type`)."""

    id: str = Field(description="a UUID, also the AMQP message_id; consumers dedupe on it")
    type: str = Field(description="the event type, also the routing key on exchange `events`")
    occurred_at: datetime = Field(description="when the event was recorded (ISO 8601, UTC)")
    trace_id: str = Field(description="the W3C trace id (32 hex digits) of the work that made it")
    data: dict[str, Any] = Field(description="the payload of this event type")


def envelope_model(payload: type[EventPayload]) -> type[Envelope]:
    """The envelope of one event type: `type` fixed to it, `data` its payload model."""
    return create_model(
        f"{payload.__name__}Envelope", __base__=Envelope,
        __doc__=f"A `{payload.event_type}` message: {payload.__doc__ or ''}".strip(),
        type=(Literal[payload.event_type], Field(description="the event type (routing key)")),
        data=(payload, Field(description="the payload")),
    )
