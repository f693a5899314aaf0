"""One type for a point in time a client sends: an RFC 3339 date-time string.

pydantic's lax `datetime` also takes numbers and strings of numbers ("0.5" as seconds
since 1970), which the documents (`format: date-time`) do not allow; `Timestamp` takes
only what they say.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(Timestamp).validate_python("2026-01-02T03:04:05Z").year
2026
>>> TypeAdapter(Timestamp).validate_python("0.5")  # doctest: +ELLIPSIS
Traceback (most recent call last):
pydantic_core._pydantic_core.ValidationError: 1 validation error for ...
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]
