"""Pact's type matching: a live value keeps a recorded one's shape.

The recorded values came from fake data; a live provider answers with its own. What a
consumer relies on is the shape: every field it saw is there, with the same JSON type,
and the items of a list look like the item it saw.

>>> shape_problems({"sku": "A", "stock": 3, "tags": ["x"]}, {"sku": "B", "stock": 9, "tags": []})
[]
>>> shape_problems({"sku": "A", "stock": 3}, {"sku": "B", "stock": "9"})
['body.stock: a string where the consumer saw a number']
>>> shape_problems({"sku": "A", "stock": 3}, {"sku": "B"})
['body.stock: missing (the consumer saw a number)']
"""

from __future__ import annotations

from typing import Any

from sandbox.contracts.diff.schemas import json_type as schema_type


def json_type(value: Any) -> str:
    """The JSON type of a parsed value, as a word; integers and fractions are numbers."""
    kind = schema_type(value)
    return {"integer": "number", "array": "list"}.get(kind, kind)


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def shape_problems(expected: Any, actual: Any, where: str = "body") -> list[str]:
    """How ``actual`` differs in shape from ``expected`` (empty: it keeps the shape).

    Fields ``actual`` has beyond the recorded ones are fine (a consumer ignores them);
    an empty live list matches any recorded one (there is no item to judge).
    """
    want, got = json_type(expected), json_type(actual)
    if want != got:
        return [f"{where}: {_article(got)} where the consumer saw {_article(want)}"]
    if want == "number" and isinstance(expected, int) and isinstance(actual, float) \
            and not actual.is_integer():
        return [f"{where}: a fraction ({actual}) where the consumer saw a whole number"]
    problems: list[str] = []
    if want == "object":
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing (the consumer saw "
                                f"{_article(json_type(value))})")
            else:
                problems += shape_problems(value, actual[key], f"{where}.{key}")
    elif want == "list" and expected:
        for index, item in enumerate(actual):
            problems += shape_problems(expected[0], item, f"{where}[{index}]")
    return problems
