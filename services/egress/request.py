"""The head of a request to the proxy: parsed, checked, and rewritten for the destination.

Two forms are served: absolute-form (``POST http://sub:9000/hook HTTP/1.1``) forwarded as
origin-form (``POST /hook HTTP/1.1``, ``Host: sub:9000``, ``Connection: close``), and
``CONNECT host:port`` (a TCP tunnel, for https). One request per connection.

>>> r = parse_head(b"POST http://sub:9000/hook?x=1 HTTP/1.1\\r\\nHost: sub:9000\\r\\n"
...                b"Proxy-Connection: keep-alive\\r\\nContent-Length: 2\\r\\n\\r\\n")
>>> (r.method, r.host, r.port, r.path, r.tunnel)
('POST', 'sub', 9000, '/hook?x=1', False)
>>> print(upstream_head(r).decode().replace("\\r\\n", "|"))
POST /hook?x=1 HTTP/1.1|Host: sub:9000|Content-Length: 2|Connection: close||
>>> c = parse_head(b"CONNECT [2001:db8::1]:443 HTTP/1.1\\r\\n\\r\\n")
>>> (c.host, c.port, c.tunnel, c.authority)
('2001:db8::1', 443, True, '[2001:db8::1]:443')
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# hop-by-hop: for the proxy, never forwarded (Transfer-Encoding is too, but the body is
# relayed as it came, so its framing header stays)
HOP_BY_HOP = frozenset({
    "connection", "proxy-connection", "keep-alive", "proxy-authorization",
    "proxy-authenticate", "te", "trailer", "upgrade",
})
FRAMING = frozenset({"transfer-encoding", "content-length"})


class BadRequest(ValueError):
    """The head is not a proxy request this proxy serves (answered 400)."""


@dataclass(frozen=True)
class ProxyRequest:
    """One request: where to (``host``, ``port``), and for HTTP the origin-form ``path``."""

    method: str
    host: str
    port: int
    path: str
    version: str
    headers: tuple[tuple[str, str], ...]

    @property
    def tunnel(self) -> bool:
        return self.method == "CONNECT"

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def parse_headers(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines; a line without a colon, or folded, is a BadRequest."""
    headers = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or line[:1] in (" ", "\t"):
            raise BadRequest(f"malformed header line {line[:60]!r}")
        headers.append((name, value.strip()))
    return tuple(headers)


def _port(text: str, default: int | None) -> int:
    if not text:
        if default is None:
            raise BadRequest("CONNECT needs host:port")
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BadRequest(f"bad port {text[:10]!r}")
    return int(text)


def _connect_target(target: str) -> tuple[str, int]:
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = target.rpartition(":")
    if not host:
        raise BadRequest(f"CONNECT needs host:port, got {target[:80]!r}")
    return host, _port(port_text, None)


def _bracketed(target: str, headers: tuple[tuple[str, str], ...]) -> str:
    """``target`` with an IPv6 host in brackets, taken from a ``Host`` header that agrees
    (httpx 0.28 writes ``http://::1:8080/`` in absolute-form, and ``Host: [::1]:8080``).

    >>> _bracketed("http://::1:8080/x", (("Host", "[::1]:8080"),))
    'http://[::1]:8080/x'
    """
    scheme, sep, rest = target.partition("://")
    netloc, slash, path = rest.partition("/")
    if netloc.count(":") < 2 or netloc.startswith("["):
        return target
    host = next((v for k, v in headers if k.lower() == "host"), "")
    if host.startswith("[") and host.replace("[", "").replace("]", "") == netloc:
        return f"{scheme}{sep}{host}{slash}{path}"
    return target


def parse_head(head: bytes) -> ProxyRequest:
    """The request line and headers (``head`` ends with the blank line)."""
    line, *rest = head.decode("latin-1").split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"malformed request line {line[:80]!r}")
    method, target, version = parts
    headers = parse_headers([x for x in rest if x])
    if method == "CONNECT":
        host, port = _connect_target(target)
        return ProxyRequest(method, host, port, "", version, headers)
    if target.startswith("/"):
        raise BadRequest("not a proxy request: send the absolute URL (http://host/path)")
    parts_url = urlsplit(_bracketed(target, headers))
    if parts_url.scheme == "https":
        raise BadRequest("https goes through the proxy with CONNECT host:443")
    if parts_url.scheme != "http" or not parts_url.hostname:
        raise BadRequest(f"unsupported target {target[:80]!r}: use http://host/path or CONNECT")
    if parts_url.username is not None:
        raise BadRequest("credentials in the URL are not forwarded: remove user@ from it")
    try:
        port = parts_url.port or 80
    except ValueError:
        raise BadRequest(f"bad port in {target[:80]!r}") from None
    path = parts_url.path or "/"
    if parts_url.query:
        path += "?" + parts_url.query
    return ProxyRequest(method, parts_url.hostname, port, path, version, headers)


def upstream_head(request: ProxyRequest) -> bytes:
    """The origin-form head for the destination: hop-by-hop headers dropped, ``Host`` the
    URL's authority, ``Connection: close`` (one request per connection)."""
    listed = {
        name.strip().lower()
        for value in (v for k, v in request.headers if k.lower() == "connection")
        for name in value.split(",")
    } - FRAMING
    host = request.authority if request.port != 80 else request.authority.rsplit(":", 1)[0]
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines += [
        f"{k}: {v}" for k, v in request.headers
        if k.lower() not in HOP_BY_HOP and k.lower() not in listed and k.lower() != "host"
    ]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response_head_closing(head: bytes) -> tuple[bytes, int | None]:
    """The destination's response head with ``Connection: close`` (and no keep-alive),
    and its status code (None when the status line is not HTTP).

    >>> out, status = response_head_closing(b"HTTP/1.1 204 No Content\\r\\nKeep-Alive: 5\\r\\n\\r\\n")
    >>> out, status
    (b'HTTP/1.1 204 No Content\\r\\nConnection: close\\r\\n\\r\\n', 204)
    """
    text = head.decode("latin-1")
    line, *rest = text.split("\r\n")
    parts = line.split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    kept = [
        x for x in rest
        if x and x.partition(":")[0].strip().lower() not in ("connection", "keep-alive",
                                                              "proxy-connection")
    ]
    return ("\r\n".join([line, *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1"), status
