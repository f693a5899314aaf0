"""A benchmark's section of docs/benchmarks.md, between its two markers, replaced in place.

>>> replace_section("a\\n<!-- x:begin -->\\nold\\n<!-- x:end -->\\nb", "x", "new", "X")
'a\\n<!-- x:begin -->\\nnew\\n<!-- x:end -->\\nb'
>>> replace_section("a", "x", "new", "X")
'a\\n\\n## X\\n\\n<!-- x:begin -->\\nnew\\n<!-- x:end -->\\n'
"""

from __future__ import annotations

from pathlib import Path


def replace_section(text: str, name: str, report: str, heading: str) -> str:
    """``text`` with the section ``name`` holding ``report`` (appended under ``heading``
    when the markers are not there yet)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{report}\n{end}"
    if begin in text and end in text:
        return text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    return f"{text}\n\n## {heading}\n\n{block}\n"


def write_section(path: Path, name: str, report: str, heading: str) -> None:
    path.write_text(replace_section(path.read_text(encoding="utf-8"), name, report, heading),
                    encoding="utf-8")
