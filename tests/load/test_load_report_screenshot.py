"""The load report as a real headless Chromium draws it: the page loads with no script error,
its DOM holds the verdict table (broken first) and every chart, and the screenshot is a
picture, not a blank (``reports/screenshots/load-report.png``). With
``SANDBOX_UPDATE_SCREENSHOTS=1`` the screenshot also replaces docs/images/load-report.png."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from sandbox.load.report_html import write_report
from sandbox.screenshots import ChromiumMissing, find_chromium, png_info, render
from tests.load.load_summaries import baseline_summary, load_summary

ROOT = Path(__file__).resolve().parents[2]
SHOT = ROOT / "reports" / "screenshots" / "load-report.png"
DOCS = ROOT / "docs" / "images" / "load-report.png"
UPDATE = "SANDBOX_UPDATE_SCREENSHOTS"
WINDOW = (1100, 1250)  # the header, the verdicts and the first journey


def chromium_or_skip() -> str:
    try:
        return find_chromium()
    except ChromiumMissing as exc:
        pytest.skip(f"needs headless Chromium: {exc.one_line()}")


def test_chromium_draws_the_report_with_its_verdicts_and_charts(tmp_path):
    chromium_or_skip()
    page = write_report(load_summary(), tmp_path / "load-report.html", baseline_summary())
    shot = render(page, screenshot=SHOT, dump_dom=True, window=WINDOW, budget_ms=500,
                  timeout=30)
    dom = shot.dom or ""
    assert shot.errors == [], shot.console
    assert re.search(r'<table class="verdicts" data-verdicts="slos">', dom)
    passed = re.findall(r'<tr class="\w+" data-slo="[^"]*" data-passed="(\w+)"', dom)
    assert passed == ["false", "true", "true", "true", "true"]
    assert 'data-verdict="FAIL"' in dom
    assert dom.count('data-chart="latency"') == dom.count('data-chart="spectrum"') == 2
    assert 'data-chart="rate"' in dom and 'data-chart="errors"' in dom

    info = png_info(SHOT)
    assert (info.width, info.height) == WINDOW
    assert not info.blank, "the screenshot is one colour"
    assert SHOT.stat().st_size > 20_000
    if os.environ.get(UPDATE) == "1":
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHOT, DOCS)


def test_the_docs_image_is_a_load_report_screenshot():
    if not DOCS.is_file():
        pytest.skip(f"no {DOCS.relative_to(ROOT)}: make it with {UPDATE}=1")
    info = png_info(DOCS)
    assert info.width >= 1000 and not info.blank
