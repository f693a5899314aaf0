"""Whole numbers in request bodies, as JSON Schema's `integer` has them.

JSON Schema (and so every document in `mocks/contracts/` and every client or fuzzer that
reads them) calls 5.0 an integer and `true` not one. Pydantic disagrees both ways: its
lax `int` takes `true` and `"5"`, its `StrictInt` refuses 5.0. `WholeNumber` is what the
documents say: an int, or a float with no fractional part (taken as that int); never a
boolean, a string or 5.5. Its schema is `{"type": "integer"}` plus the field's bounds.

>>> from pydantic import BaseModel, Field
>>> class Line(BaseModel):
...     quantity: WholeNumber = Field(ge=1)
>>> Line(quantity=5).quantity, Line(quantity=5.0).quantity
(5, 5)
>>> type(Line(quantity=5.0).quantity).__name__
'int'
>>> Line.model_json_schema()["properties"]["quantity"]
{'minimum': 1, 'title': 'Quantity', 'type': 'integer'}
>>> for bad in (True, "5", 5.5):
...     try:
...         Line(quantity=bad)
...     except ValueError as exc:
...         print(exc.errors()[0]["msg"])
Input should be a valid integer
Input should be a valid integer
Input should be a valid integer
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictInt


def _whole_float_as_int(value: Any) -> Any:
    """5.0 → 5; anything else is left for the strict integer check to take or refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_float_as_int)]
"""An integer field of a request model: 5 and 5.0 are 5; `true`, `"5"` and 5.5 are refused."""

__all__ = ["WholeNumber"]
