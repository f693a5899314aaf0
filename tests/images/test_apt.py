"""Host-side apt: options point at private dirs, plans are parsed, file names are right."""

from __future__ import annotations

from pathlib import Path

from sandbox.images.apt import _INST, AptDownloader, DebFile
from sandbox.images.aptsources import AptSource


def _opts(tmp_path: Path) -> dict[str, str]:
    apt = AptDownloader(tmp_path, [AptSource("http://mirror/debian", "bookworm", ("main",))])
    args = apt.options(tmp_path / "status")
    assert args[::2] == ["-o"] * (len(args) // 2)
    return dict(a.split("=", 1) for a in args[1::2])


def test_state_cache_and_sources_are_private(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    for key in ("Dir::State", "Dir::State::Lists", "Dir::Cache", "Dir::Cache::archives",
                "Dir::Etc::SourceList", "Dir::Etc::SourceParts"):  # fmt: skip
        assert opts[key].startswith(str(tmp_path)), key


def test_installed_set_is_the_base_status_file(tmp_path: Path) -> None:
    assert _opts(tmp_path)["Dir::State::status"] == str(tmp_path / "status")


def test_no_recommends(tmp_path: Path) -> None:
    assert _opts(tmp_path)["APT::Install-Recommends"] == "false"


def test_plan_parsing_reads_new_and_upgraded_packages() -> None:
    plan = (
        "NOTE: This is only a simulation!\n"
        "Inst libpq5 (15.13-0+deb12u1 Debian-Security:12/stable-security [amd64])\n"
        "Inst libc6 [2.36-9] (2.36-9+deb12u10 Debian:12.11/stable [amd64])\n"
        "Inst tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])\n"
        "Conf libpq5 (15.13-0+deb12u1 Debian-Security:12/stable-security [amd64])\n"
    )
    assert [DebFile(*m) for m in _INST.findall(plan)] == [
        DebFile("libpq5", "15.13-0+deb12u1", "amd64"),
        DebFile("libc6", "2.36-9+deb12u10", "amd64"),
        DebFile("tzdata", "2025b-0+deb12u1", "all"),
    ]


def test_epoch_is_escaped_in_the_file_name() -> None:
    assert DebFile("curl", "1:7.88", "amd64").filename == "curl_1%3a7.88_amd64.deb"
