"""RFC 3339 times as the stores write them (nanoseconds, ``Z``) to epoch seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def epoch(text: str | None) -> float | None:
    """``2024-05-01T10:00:00.123456789Z`` -> seconds; ``None`` if absent or unreadable.

    >>> epoch("1970-01-01T00:00:01.5000001Z")
    1.5
    """
    if not text:
        return None
    cleaned = _FRACTION.sub(lambda m: m.group(1), text.strip().replace("Z", "+00:00"), count=1)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
