"""A Toxiproxy-compatible proxy server on asyncio (Toxiproxy 2.x REST API and toxics).

Layout as in Toxiproxy's Go code: ``server``/``api`` (REST), ``proxy`` (listen, accept,
two links a connection), ``link`` (a live chain of toxics a direction), ``toxics/``
(one module a toxic, registered on definition). See docs/CREATING_TOXICS.md.
"""

from sandbox.toxiproxy.api import VERSION, ToxiproxyApi
from sandbox.toxiproxy.server import ToxiproxyServer
from sandbox.toxiproxy.toxics import Toxic, ToxicStub

__all__ = ["VERSION", "Toxic", "ToxicStub", "ToxiproxyApi", "ToxiproxyServer"]
