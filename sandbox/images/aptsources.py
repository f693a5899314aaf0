"""The host's apt sources (deb822 ``*.sources`` and one-line ``sources.list``).

The image builder reads the mirror from here instead of naming any host itself.

>>> src = parse_deb822("Types: deb\\nURIs: http://m/debian\\nSuites: bookworm\\nComponents: main\\n")
>>> src[0].one_line()
'deb http://m/debian bookworm main'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ETC = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    """One ``deb`` source: a URI, a suite and its components."""

    uri: str
    suite: str
    components: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = field(default=())

    def one_line(self) -> str:
        opts = " ".join(f"{k}={v}" for k, v in self.options)
        bracket = f" [{opts}]" if opts else ""
        return f"deb{bracket} {self.uri} {self.suite} {' '.join(self.components)}".rstrip()


_DEB822_OPTIONS = {"signed-by": "signed-by", "architectures": "arch", "trusted": "trusted"}


def parse_deb822(text: str) -> list[AptSource]:
    """Sources of a deb822 file; stanzas that are disabled or not ``deb`` are skipped."""
    sources: list[AptSource] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        options = tuple(
            (name, fields[key]) for key, name in _DEB822_OPTIONS.items() if key in fields
        )
        components = tuple(fields.get("components", "").split())
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                sources.append(AptSource(uri.rstrip("/"), suite, components, options))
    return sources


def parse_one_line(text: str) -> list[AptSource]:
    """Sources of a classic ``sources.list`` (``deb [opts] uri suite comp...``)."""
    sources: list[AptSource] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        rest = line[4:].strip()
        options: list[tuple[str, str]] = []
        if rest.startswith("["):
            inner, _, rest = rest[1:].partition("]")
            for opt in inner.split():
                name, _, value = opt.partition("=")
                options.append((name, value))
        parts = rest.split()
        if len(parts) < 2:
            continue
        sources.append(AptSource(parts[0].rstrip("/"), parts[1], tuple(parts[2:]), tuple(options)))
    return sources


def host_sources(etc: Path = DEFAULT_ETC) -> list[AptSource]:
    """Every enabled ``deb`` source configured on this host, in apt's reading order."""
    sources: list[AptSource] = []
    main = etc / "sources.list"
    if main.is_file():
        sources += parse_one_line(main.read_text())
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                sources += parse_one_line(path.read_text())
            elif path.suffix == ".sources":
                sources += parse_deb822(path.read_text())
    return sources


def mirror_for(sources: list[AptSource], suite: str) -> str | None:
    """The URI serving ``suite`` with component ``main`` (for debootstrap), if any."""
    for source in sources:
        if source.suite == suite and "main" in source.components:
            return source.uri
    return None


def sources_for(sources: list[AptSource], suite: str) -> list[AptSource]:
    """The sources of ``suite`` and its companions (``-updates``, ``-security``)."""
    return [s for s in sources if s.suite == suite or s.suite.startswith(suite + "-")]
