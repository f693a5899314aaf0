"""Headless Chromium: a page (a URL or a local HTML file) as a PNG and as its rendered DOM.

    render(target, screenshot=out.png, dump_dom=True)     one Chromium run, both results
        chromium --headless --screenshot=out.png --window-size=W,H
                 --virtual-time-budget=MS --dump-dom TARGET
    screenshot(target, out.png)   /   dump_dom(target)       the two halves alone

``--virtual-time-budget`` lets the page's scripts run (timers fire, fetches answer: virtual
time waits for the network) before the capture, so a page that loads its data with
JavaScript is captured with its data. Chromium is Debian's ``chromium`` (or
``chromium-browser``, ``google-chrome``; ``SANDBOX_CHROMIUM`` names another binary). By
default it may resolve no host name at all (``offline``): a page reaches 127.0.0.1 and
files, nothing else.

>>> shot = render("http://127.0.0.1:8765/", screenshot=Path("reports/screenshots/a.png"),
...               dump_dom=True)                                          # doctest: +SKIP
>>> "catalog" in shot.dom                                                 # doctest: +SKIP
True

``png_info(path)`` reads a PNG's size and whether it shows more than one colour (a blank
capture is one colour), without Pillow.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import SandboxError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_BINARY = "SANDBOX_CHROMIUM"
INSTALL_FIX = ("install it: `sudo apt-get install chromium` (install.sh does), or set "
               f"{ENV_BINARY}=/path/to/chrome")


class ChromiumMissing(SandboxError):
    pass


class RenderFailed(SandboxError):
    pass


def find_chromium() -> str:
    """The Chromium binary: ``$SANDBOX_CHROMIUM``, else the first of ``CANDIDATES`` on PATH."""
    named = os.environ.get(ENV_BINARY)
    if named:
        found = shutil.which(named)
        if not found:
            raise ChromiumMissing(f"{ENV_BINARY}={named} is not an executable", INSTALL_FIX)
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(f"no Chromium found (looked for {', '.join(CANDIDATES)})",
                          INSTALL_FIX)


def target_url(target: str | Path) -> str:
    """A URL as given; a local file as ``file://`` (``FileNotFoundError`` if absent)."""
    text = str(target)
    if "://" in text:
        return text
    path = Path(text).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    return path.as_uri()


@dataclass(frozen=True)
class Rendered:
    url: str
    dom: str | None
    screenshot: Path | None
    console: tuple[str, ...] = ()  # the page's console messages, uncaught errors included

    @property
    def errors(self) -> list[str]:
        """Uncaught exceptions and rejections the page's scripts raised."""
        return [line for line in self.console if "Uncaught" in line]


_CONSOLE = re.compile(r':CONSOLE(?:\(\d+\))?:?\d*\] "(?P<text>.*)", source: (?P<source>\S*)')


def console_lines(stderr: str) -> tuple[str, ...]:
    """The console messages in Chromium's ``--enable-logging=stderr`` output."""
    return tuple(f"{m['text']} ({m['source']})" for m in map(_CONSOLE.search,
                                                            stderr.splitlines()) if m)


def chromium_command(binary: str, url: str, profile: str, screenshot: Path | None,
                     dump_dom: bool, window: tuple[int, int], budget_ms: int,
                     offline: bool) -> list[str]:
    argv = [binary, "--headless", "--enable-logging=stderr", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
            "--disable-dev-shm-usage", "--no-proxy-server", "--ozone-platform=headless",
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}", f"--virtual-time-budget={budget_ms}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    if offline:
        argv.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")
    if screenshot is not None:
        argv.append(f"--screenshot={screenshot}")
    if dump_dom:
        argv.append("--dump-dom")
    argv.append(url)
    return argv


def _quiet_env() -> dict[str, str]:
    """No D-Bus: headless needs none, and looking for one costs Chromium about a second."""
    return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


def render(target: str | Path, screenshot: Path | None = None, dump_dom: bool = False,
           window: tuple[int, int] = (1280, 900), budget_ms: int = 3000,
           timeout: float = 60.0, offline: bool = True) -> Rendered:
    """Load ``target`` in headless Chromium, let its scripts run for ``budget_ms`` of
    virtual time, then write ``screenshot`` (PNG) and/or return the DOM."""
    if screenshot is None and not dump_dom:
        raise ValueError("ask for a screenshot, the DOM, or both")
    binary, url = find_chromium(), target_url(target)
    if screenshot is not None:
        screenshot = screenshot.resolve()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="sandbox-chromium-") as profile:
        argv = chromium_command(binary, url, profile, screenshot, dump_dom, window,
                                budget_ms, offline)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  check=False, env=_quiet_env())
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"Chromium did not finish rendering {url} in {timeout:g} s",
                               "check the page loads in a browser; raise the timeout") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RenderFailed(f"Chromium exited {done.returncode} rendering {url}: {last[:200]}",
                           f"run it by hand to see why: {' '.join(argv[:1])} --headless {url}")
    if screenshot is not None and not screenshot.is_file():
        raise RenderFailed(f"Chromium wrote no screenshot of {url}",
                           "check the page loads in a browser and the folder is writable")
    return Rendered(url, done.stdout if dump_dom else None, screenshot,
                    console_lines(done.stderr))


def screenshot(target: str | Path, out: Path, window: tuple[int, int] = (1280, 900),
               budget_ms: int = 3000) -> Path:
    """``target`` as a PNG at ``out`` (the window's size)."""
    shot = render(target, screenshot=out, window=window, budget_ms=budget_ms).screenshot
    assert shot is not None
    return shot


def dump_dom(target: str | Path, window: tuple[int, int] = (1280, 900),
             budget_ms: int = 3000) -> str:
    """``target``'s DOM as serialised after its scripts ran."""
    return render(target, dump_dom=True, window=window, budget_ms=budget_ms).dom or ""


# --- checking a PNG without Pillow ------------------------------------------------------


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    colours: int  # distinct pixel values seen, counted up to the ``enough`` asked for

    @property
    def blank(self) -> bool:
        return self.colours < 2


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # grey, RGB, grey+alpha, RGBA


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_info(path: Path, enough: int = 2) -> PngInfo:
    """Size of an 8-bit, non-interlaced PNG (what Chromium writes) and its distinct
    colours, decoding rows only until ``enough`` colours are seen."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, header, idat = 8, b"", bytearray()
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or interlace or colour_type not in _CHANNELS:
        raise ValueError(f"{path}: only 8-bit non-interlaced grey/RGB(A) PNGs are read")
    bpp = _CHANNELS[colour_type]
    stride = width * bpp
    stream = zlib.decompress(bytes(idat))  # C speed; only the unfiltering is Python
    if len(stream) < height * (stride + 1):
        raise ValueError(f"{path}: its image data is truncated")
    prev = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        at = row * (stride + 1)
        kind, line = stream[at], bytearray(stream[at + 1:at + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + prev[i]) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
            elif kind == 4:
                up_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 0xFF
        seen.update(bytes(line[i:i + bpp]) for i in range(0, stride, bpp))
        if len(seen) >= enough:
            break
        prev = line
    return PngInfo(width, height, min(len(seen), enough))


def main(argv: list[str] | None = None) -> int:
    """``python -m sandbox.screenshots TARGET OUT.png [WIDTHxHEIGHT]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3):
        print("usage: python -m sandbox.screenshots TARGET OUT.png [1280x900]", file=sys.stderr)
        return 2
    width, _, height = (args[2] if len(args) == 3 else "1280x900").partition("x")
    try:
        out = screenshot(args[0], Path(args[1]), window=(int(width), int(height)))
    except SandboxError as err:
        print(err.one_line(), file=sys.stderr)
        return err.exit_code
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
