"""What the gateway (NGINX) sends to auth's ``/internal/verify`` and relies on from it,
read from ``compose/nginx/gateway.conf.template``: the gateway is a consumer of auth.

NGINX's ``auth_request`` allows a request on a 2xx answer, passes 401 and 403 on, and
turns any other answer into a 500 (the template maps it to a 503 problem).

>>> call = verify_call()
>>> call.method, call.path
('GET', '/internal/verify')
>>> call.identity_headers
('X-User-Id', 'X-Client-Id', 'X-User-Roles', 'X-User-Permissions', 'X-Identity-Proof')
>>> call.client_headers
('X-Api-Key', 'Authorization')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import MocksError

TEMPLATE = Path(__file__).resolve().parents[1] / "compose" / "nginx" / "gateway.conf.template"
ALLOWED = (200,)
PASSED_ON = (401, 403)


@dataclass(frozen=True)
class VerifyCall:
    """The verify subrequest as the gateway makes it."""

    method: str
    path: str
    client_headers: tuple[str, ...]     # the client's headers auth judges (the cache key)
    set_headers: tuple[str, ...]        # headers NGINX sets with a value
    cleared_headers: tuple[str, ...]    # headers NGINX empties (never forwarded)
    identity_headers: tuple[str, ...]   # answer headers it copies to the upstream request
    statuses: tuple[int, ...]           # answers it tells apart: allow, or passed on


def _block(text: str, opening: str) -> str:
    start = text.find(opening)
    if start < 0:
        raise MocksError(f"{TEMPLATE.name} has no `{opening.strip()}` block: update mocks/nginx.py")
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    raise MocksError(f"unbalanced braces after `{opening}` in {TEMPLATE.name}")


def _header_name(variable: str) -> str:
    """``http_x_api_key`` / ``upstream_http_x_user_id`` → ``X-Api-Key`` / ``X-User-Id``."""
    name = re.sub(r"^(upstream_)?http_", "", variable)
    return "-".join(w.capitalize() for w in name.split("_"))


def verify_call(template: Path | str | None = None) -> VerifyCall:
    text = re.sub(r"#[^\n]*", "", Path(template or TEMPLATE).read_text())
    v1 = _block(text, "location /v1/ {")
    sub = re.search(r"auth_request\s+(\S+);", v1)
    if sub is None:
        raise MocksError("the gateway's /v1/ routes have no auth_request: nothing to verify")
    verify = _block(text, f"location = {sub.group(1)} {{")
    method = re.search(r"proxy_method\s+(\w+);", verify)
    target = re.search(r"proxy_pass\s+(\S+);", verify)
    key = re.search(r'proxy_cache_key\s+"([^"]+)";', verify)
    if target is None:
        raise MocksError(f"location {sub.group(1)} has no proxy_pass")
    sets = re.findall(r"proxy_set_header\s+(\S+)\s+(\"[^\"]*\"|\S+);", verify)
    # the answer's headers copied into variables that the upstream request sends on
    forwarded = set(re.findall(r"proxy_set_header\s+\S+\s+\$(\w+);", text))
    identity = [header for target, header in
                re.findall(r"auth_request_set\s+\$(\w+)\s+\$(upstream_http_\w+);", v1)
                if target in forwarded]
    return VerifyCall(
        method=(method.group(1) if method else "GET").upper(),
        path=urlsplit(target.group(1).replace("$", "")).path,
        client_headers=tuple(_header_name(v) for v in re.findall(r"\$(http_\w+)",
                                                                  key.group(1) if key else "")),
        set_headers=tuple(n for n, v in sets if v.strip('"')),
        cleared_headers=tuple(n for n, v in sets if not v.strip('"')),
        identity_headers=tuple(_header_name(v) for v in identity),
        statuses=(*ALLOWED, *PASSED_ON),
    )
