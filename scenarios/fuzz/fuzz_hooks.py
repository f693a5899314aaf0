"""schemathesis hooks for fuzzing the public API: every subscriber URL a generated request
carries is pointed at the harness's own subscriber before it is sent.

A subscription's URL is resolved by the webhook gateway (its SSRF check) and, once made,
delivered to by egress: a fuzzed host name would send DNS queries and deliveries off this
machine. The path, query and the rest of the body stay as generated, so validation and
the SSRF check still see odd input; only the destination is ours
(``SANDBOX_FUZZ_SUBSCRIBER``, e.g. ``http://172.18.0.1:40123``, the host on the public
network). Loaded by ``SCHEMATHESIS_HOOKS=scenarios.fuzz.fuzz_hooks``.

>>> ours("http://evil.example:8080/cb?x=1", "http://172.18.0.1:40123")
'http://172.18.0.1:40123/cb?x=1'
>>> ours("not a url at all", "http://172.18.0.1:40123")
'http://172.18.0.1:40123/not a url at all'
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import schemathesis

SUBSCRIBER_VARIABLE = "SANDBOX_FUZZ_SUBSCRIBER"
SUBSCRIPTIONS = "/v1/webhooks/subscriptions"


def ours(url: str, subscriber: str) -> str:
    """``url`` with the scheme and authority of ``subscriber``, whatever ``url`` was."""
    target = urlsplit(subscriber)
    try:
        parts = urlsplit(url)
        path, query, fragment = parts.path, parts.query, parts.fragment
        if not parts.scheme and not parts.netloc:
            path = "/" + url.lstrip("/")
    except ValueError:  # e.g. an unclosed IPv6 bracket: keep none of it
        path, query, fragment = "/", "", ""
    if path and not path.startswith("/"):
        path = "/" + path
    return urlunsplit((target.scheme, target.netloc, path, query, fragment))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.path != SUBSCRIPTIONS or case.method.upper() != "POST":
        return
    subscriber = os.environ[SUBSCRIBER_VARIABLE]
    if isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body["url"] = ours(case.body["url"], subscriber)
