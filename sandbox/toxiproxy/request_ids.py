"""Request ids as Toxiproxy sends them in ``X-Toxiproxy-Request-Id``: xids, 20 characters
of base32hex (a timestamp, a machine id, the process id and a counter), unique and
sortable by time.

>>> rid = new_request_id()
>>> len(rid), set(rid) <= set("0123456789abcdefghijklmnopqrstuv")
(20, True)
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random
import socket
import time

_MACHINE = hashlib.md5(socket.gethostname().encode(), usedforsecurity=False).digest()[:3]
_counter = itertools.count(random.getrandbits(24))


def new_request_id() -> str:
    """A new request id."""
    raw = (
        int(time.time()).to_bytes(4, "big")
        + _MACHINE
        + (os.getpid() & 0xFFFF).to_bytes(2, "big")
        + (next(_counter) & 0xFFFFFF).to_bytes(3, "big")
    )
    return base64.b32hexencode(raw).decode().rstrip("=").lower()
