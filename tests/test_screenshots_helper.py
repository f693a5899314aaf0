"""``sandbox.screenshots``: finding Chromium (and a clear error without it), the command it
runs, a local HTML file rendered after its scripts ran, and reading a PNG without Pillow."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from sandbox import screenshots
from sandbox.screenshots import (
    ChromiumMissing,
    chromium_command,
    console_lines,
    find_chromium,
    png_info,
    render,
)


def test_no_chromium_is_one_line_naming_the_install(monkeypatch):
    monkeypatch.delenv(screenshots.ENV_BINARY, raising=False)
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)
    with pytest.raises(ChromiumMissing) as info:
        find_chromium()
    line = info.value.one_line()
    assert line.startswith("error: no Chromium found (looked for chromium, chromium-browser")
    assert "apt-get install chromium" in line


def test_a_named_binary_that_is_not_there_is_an_error(monkeypatch):
    monkeypatch.setenv(screenshots.ENV_BINARY, "/nonexistent/chrome")
    with pytest.raises(ChromiumMissing, match="SANDBOX_CHROMIUM=/nonexistent/chrome"):
        find_chromium()


def test_the_command_is_headless_with_the_window_budget_and_no_name_resolution(tmp_path):
    argv = chromium_command("/usr/bin/chromium", "http://127.0.0.1:1/", str(tmp_path),
                            tmp_path / "a.png", True, (800, 600), 1500, offline=True)
    assert argv[0] == "/usr/bin/chromium" and argv[-1] == "http://127.0.0.1:1/"
    for flag in ("--headless", "--window-size=800,600", "--virtual-time-budget=1500",
                 f"--screenshot={tmp_path / 'a.png'}", "--dump-dom",
                 f"--user-data-dir={tmp_path}"):
        assert flag in argv
    [rules] = [a for a in argv if a.startswith("--host-resolver-rules=")]
    assert "MAP * ~NOTFOUND" in rules and "EXCLUDE 127.0.0.1" in rules


def test_a_missing_local_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        screenshots.target_url(tmp_path / "nope.html")


def test_console_lines_are_read_from_chromium_s_log():
    log = ('[1:1:1203/070347.329615:INFO:CONSOLE:345] "Uncaught ReferenceError: x is not '
           'defined", source: http://127.0.0.1:9/ (345)\n[1:1:ERROR:dbus/bus.cc:405] noise')
    expected = "Uncaught ReferenceError: x is not defined (http://127.0.0.1:9/)"
    assert console_lines(log) == (expected,)


def write_png(path: Path, rows: list[list[tuple[int, int, int]]], filter_type: int) -> None:
    """An RGB PNG whose every row uses ``filter_type`` (0 none, 1 sub, 2 up)."""
    raw, prev = b"", bytes(len(rows[0]) * 3)
    for row in rows:
        line = bytes(c for px in row for c in px)
        if filter_type == 1:
            out = bytes((line[i] - (line[i - 3] if i >= 3 else 0)) & 0xFF
                        for i in range(len(line)))
        elif filter_type == 2:
            out = bytes((line[i] - prev[i]) & 0xFF for i in range(len(line)))
        else:
            out = line
        raw += bytes([filter_type]) + out
        prev = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("filter_type", [0, 1, 2])
def test_png_info_tells_a_blank_picture_from_a_drawn_one(tmp_path, filter_type):
    blank, drawn = tmp_path / "blank.png", tmp_path / "drawn.png"
    write_png(blank, [[(250, 250, 250)] * 4] * 3, filter_type)
    write_png(drawn, [[(250, 250, 250)] * 4, [(250, 250, 250), (0, 0, 0), (9, 9, 9),
                                               (250, 250, 250)], [(1, 2, 3)] * 4], filter_type)
    assert png_info(blank) == screenshots.PngInfo(4, 3, 1) and png_info(blank).blank
    assert png_info(drawn, enough=10).colours == 4 and not png_info(drawn).blank


def test_a_local_html_file_is_rendered_after_its_scripts_ran(tmp_path):
    try:
        find_chromium()
    except ChromiumMissing as exc:
        pytest.skip(f"needs headless Chromium: {exc.one_line()}")
    page = tmp_path / "report.html"
    page.write_text("<!doctype html><body style='background:#fff'><p id=x>waiting</p>"
                    "<script>setTimeout(() => { x.textContent = 'drawn later';"
                    " document.body.style.background = '#135'; }, 800)</script></body>")
    shot = render(page, screenshot=tmp_path / "out" / "report.png", dump_dom=True,
                  window=(640, 400), budget_ms=1500, timeout=30)
    assert "drawn later" in (shot.dom or "")
    info = png_info(tmp_path / "out" / "report.png")
    assert (info.width, info.height) == (640, 400) and not info.blank
