"""The page: ``assets/dashboard.html`` with its CSS and JS inlined, one self-contained
document (no CDN, no font, no script from anywhere: the machines reach no internet)."""

from __future__ import annotations

import functools
from importlib import resources

_ASSETS = resources.files("sandbox.dashboard") / "assets"


@functools.cache
def dashboard_page() -> str:
    html = (_ASSETS / "dashboard.html").read_text(encoding="utf-8")
    css = (_ASSETS / "dashboard.css").read_text(encoding="utf-8")
    js = (_ASSETS / "dashboard.js").read_text(encoding="utf-8")
    return html.replace("/*INLINE_CSS*/", css).replace("/*INLINE_JS*/", js)
