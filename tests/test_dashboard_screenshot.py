"""The dashboard rendered by a real headless Chromium against fake backends: the page's
scripts load every panel, the DOM shows the fakes' data, and the screenshot is a real
picture (``reports/screenshots/dashboard-fake-backends.png``; docs/images/dashboard.png is
a copy of it)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.dashboard.server import DashboardServer
from sandbox.screenshots import ChromiumMissing, find_chromium, png_info, render
from tests.dashboard_fakes import SECOND_TRACE_ID, FakeUrls, fake_backend, fake_backends
from tests.telemetry_shapes import TRACE_ID

ROOT = Path(__file__).resolve().parents[1]
SHOT = ROOT / "reports" / "screenshots" / "dashboard-fake-backends.png"
WINDOW = (1280, 940)
PANELS = "alerts links red services trace traces"


def chromium_or_skip() -> str:
    try:
        return find_chromium()
    except ChromiumMissing as exc:
        pytest.skip(f"needs headless Chromium: {exc.one_line()}")


@pytest.fixture
def dashboard_url() -> Iterator[str]:
    with fake_backend() as (url, _), DashboardServer(
            fake_backends(FakeUrls(url, url, url))) as server:
        yield server.url


def test_chromium_renders_every_panel_with_the_fakes_data(dashboard_url):
    chromium_or_skip()
    began = time.monotonic()
    shot = render(f"{dashboard_url}#trace={TRACE_ID}", screenshot=SHOT, dump_dom=True,
                  window=WINDOW, budget_ms=2000, timeout=30)
    took = time.monotonic() - began
    dom = shot.dom or ""
    assert shot.errors == [], shot.console
    assert re.search(rf'<body[^>]*data-loaded="{PANELS}"', dom), "every panel drawn"
    for service in ("catalog", "gateway", "monolith", "payments"):
        assert f'data-service="{service}"' in dom
    assert 'data-alert="HighErrorRate"' in dom and "firing" in dom
    assert f'data-trace="{TRACE_ID}"' in dom and f'data-trace="{SECOND_TRACE_ID}"' in dom
    assert 'data-link="catalog-&gt;postgres"' in dom and "latency=300" in dom
    # the waterfall of the trace in the URL: its five spans, the failed one marked
    assert f'data-trace-id="{TRACE_ID}"' in dom
    assert dom.count("data-span=") == 5
    assert 'class="error"' in dom and "provider timeout" in dom
    assert "data-error=" not in dom, "no panel failed"

    info = png_info(SHOT)
    assert (info.width, info.height) == WINDOW
    assert not info.blank, "the screenshot is one colour"
    assert SHOT.stat().st_size > 20_000
    assert took < 15, f"Chromium took {took:.1f} s"


def test_a_backend_down_is_drawn_as_unreachable(tmp_path):
    chromium_or_skip()
    from tests.dashboard_fakes import dead_url

    with fake_backend() as (url, _), DashboardServer(
            fake_backends(FakeUrls(dead_url(), url, dead_url()))) as server:
        shot = render(server.url, screenshot=tmp_path / "down.png", dump_dom=True,
                      window=(1000, 700), budget_ms=1500, timeout=30)
    dom = shot.dom or ""
    assert 'data-error="Prometheus unreachable"' in dom  # RED, and the alerts' note
    assert 'data-error="Trace store unreachable"' in dom
    assert 'data-alert="HighErrorRate"' in dom  # Alertmanager still answers
    assert 'data-service="catalog"' in dom  # the other panels still load
    assert not png_info(tmp_path / "down.png").blank


def test_the_docs_image_is_a_dashboard_screenshot():
    docs = ROOT / "docs" / "images" / "dashboard.png"
    info = png_info(docs)
    assert info.width >= 1000 and not info.blank
