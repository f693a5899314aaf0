"""Parsing the host's apt sources (deb822 and one-line)."""

from __future__ import annotations

from pathlib import Path

from sandbox.images.aptsources import (
    AptSource,
    host_sources,
    mirror_for,
    parse_deb822,
    parse_one_line,
    sources_for,
)

DEB822 = """\
Types: deb deb-src
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main
"""


def test_deb822_expands_uris_and_suites() -> None:
    sources = parse_deb822(DEB822)
    assert [(s.uri, s.suite) for s in sources] == [
        ("http://mirror.example/debian", "bookworm"),
        ("http://mirror.example/debian", "bookworm-updates"),
        ("http://mirror.example/debian-security", "bookworm-security"),
    ]
    assert sources[0].components == ("main", "contrib")


def test_deb822_keeps_signed_by_in_one_line_form() -> None:
    line = parse_deb822(DEB822)[0].one_line()
    assert line == (
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://mirror.example/debian bookworm main contrib"
    )


def test_one_line_format_with_options_and_comments() -> None:
    text = (
        "# comment\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main # tail\n"
        "deb-src http://m.example/debian bookworm main\n"
        "deb http://m.example/debian bookworm-updates main\n"
    )
    sources = parse_one_line(text)
    assert sources[0] == AptSource(
        "http://m.example/debian", "bookworm", ("main",), (("arch", "amd64"), ("signed-by", "/k.gpg"))
    )
    assert [s.suite for s in sources] == ["bookworm", "bookworm-updates"]


def test_mirror_is_the_main_component_of_the_suite() -> None:
    sources = parse_deb822(DEB822)
    assert mirror_for(sources, "bookworm") == "http://mirror.example/debian"
    assert mirror_for(sources, "trixie") is None


def test_sources_for_keeps_suite_companions_only() -> None:
    sources = parse_deb822(DEB822) + parse_one_line("deb http://x.example/debian trixie main\n")
    assert {s.suite for s in sources_for(sources, "bookworm")} == {
        "bookworm", "bookworm-updates", "bookworm-security"
    }


def test_host_sources_reads_list_and_sources_files(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("deb http://a.example/debian bookworm main\n")
    (tmp_path / "sources.list.d/debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d/extra.list").write_text("deb http://b.example/x bookworm main\n")
    uris = [s.uri for s in host_sources(tmp_path)]
    assert uris[0] == "http://a.example/debian" and "http://b.example/x" in uris
    assert len(uris) == 5
