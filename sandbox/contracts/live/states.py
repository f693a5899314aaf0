"""Provider states: what a recorded interaction needs of the live provider's data.

A pact names the state its interaction was recorded in ("products SKU-MUG exists"). Before
the interaction is replayed live, the state's plug-in sets that state up for real, through
the system's own API, and says how the recorded request changes to fit it (the real API
key and token in place of the recorded ones). A plug-in is a pattern and a function:

    @provider_state(r"products (?P<sku>\\S+) exists")
    def product_exists(live, interaction, sku): ...   # -> RequestEdit

Some states are not data: a mock was told to answer 503 or to time out. Those are
``override`` states: the live provider cannot honestly be put in them by data, so their
interactions are judged by the static check alone (against the provider's contract).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


class LiveSystem(Protocol):
    """What a state plug-in may use of the running sandbox."""

    def create_product(self, fields: dict[str, Any]) -> None:
        """Create a product through the admin API (an existing SKU is left as it is)."""

    def issue_token(self) -> tuple[str, str]:
        """Enrol a new client and issue it a token: (API key, access token)."""


@dataclass(frozen=True)
class RequestEdit:
    """How the recorded request changes for the live provider."""

    headers: dict[str, str] = field(default_factory=dict)  # lower-case name → value


Handler = Callable[..., RequestEdit]


@dataclass(frozen=True)
class StatePlugin:
    pattern: re.Pattern[str]
    kind: Literal["data", "override"]
    handler: Handler | None
    why: str = ""  # an override's reason, shown in the report


PLUGINS: list[StatePlugin] = []


def provider_state(pattern: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the states that match ``pattern`` (named groups → kwargs)."""

    def register(handler: Handler) -> Handler:
        PLUGINS.append(StatePlugin(re.compile(pattern + r"\Z"), "data", handler))
        return handler

    return register


def override_state(pattern: str, why: str) -> None:
    """States that only a mock can be in: their interactions are not replayed live."""
    PLUGINS.append(StatePlugin(re.compile(pattern + r"\Z"), "override", None, why))


class UnknownState(LookupError):
    """No plug-in matches a recorded provider state."""


def plugin_for(name: str) -> tuple[StatePlugin, dict[str, str]]:
    """The plug-in of state ``name`` and the values its pattern took out of it."""
    for plugin in PLUGINS:
        match = plugin.pattern.match(name)
        if match:
            return plugin, match.groupdict()
    raise UnknownState(f"no provider-state plug-in for {name!r}: add one in "
                       "sandbox/contracts/live/states.py")


def overridden(states: list[str]) -> str | None:
    """Why an interaction in ``states`` cannot be replayed live (None: it can)."""
    for name in states:
        plugin, _ = plugin_for(name)
        if plugin.kind == "override":
            return plugin.why
    return None


def set_up(live: LiveSystem, interaction: dict[str, Any]) -> RequestEdit:
    """Put the live system in every state of ``interaction``; the request's edits."""
    headers: dict[str, str] = {}
    for state in interaction.get("providerStates") or []:
        plugin, values = plugin_for(state["name"])
        assert plugin.handler is not None, "override states are never set up"
        headers.update(plugin.handler(live, interaction, **values).headers)
    return RequestEdit(headers)


# --- the states the consumer tests record ----------------------------------------------

@provider_state(r"products (?P<sku>\S+) exists")
def product_exists(live: LiveSystem, interaction: dict[str, Any], sku: str) -> RequestEdit:
    """The product, with the name, price and stock the consumer saw where it saw them."""
    seen = ((interaction.get("response") or {}).get("body") or {}).get("content")
    fields: dict[str, Any] = {"sku": sku, "name": f"Product {sku}", "price_cents": 1000,
                              "stock": 10}
    if isinstance(seen, dict) and seen.get("sku") == sku:
        fields.update({k: seen[k] for k in ("name", "price_cents", "stock") if k in seen})
    live.create_product(fields)
    return RequestEdit()


@provider_state(r"a token was issued to client (?P<client_id>\S+)")
def token_issued(live: LiveSystem, interaction: dict[str, Any], client_id: str) -> RequestEdit:
    """A client enrolled now, holding a token: its key and token replace the recorded ones
    (the recorded client id was the mock's; the live one is new)."""
    api_key, token = live.issue_token()
    return RequestEdit({"x-api-key": api_key, "authorization": f"Bearer {token}"})


# a 404 for something that does not exist is the real provider's answer: no set-up
@provider_state(r"\S+ \S+(?: for .*)? answers 404")
def absent(live: LiveSystem, interaction: dict[str, Any]) -> RequestEdit:
    """Nothing to do: the recorded key names nothing in the live system."""
    return RequestEdit()


# a delay does not change the answer: the shape is judged without it
@provider_state(r"\S+ \S+(?: for .*)? is slow \([0-9.e+-]+ s\)")
def slow(live: LiveSystem, interaction: dict[str, Any]) -> RequestEdit:
    """Nothing to do: the live answer's shape is the one to judge, at its own speed."""
    return RequestEdit()


override_state(r"\S+ \S+(?: for .*)? answers 5\d\d",
               "a failing provider is stubbed: its answer is judged by the static check")
override_state(r"\S+ \S+(?: for .*)? fails \([\w-]+\)",
               "a provider that does not answer is stubbed: nothing to replay")
override_state(r"\S+ \S+(?: for .*)? answers [1-4]\d\d",
               "a stubbed answer: judged by the static check")
