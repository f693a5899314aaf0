"""The toxics, one module each; importing this package registers them all."""

from sandbox.toxiproxy.toxics.bandwidth import BandwidthToxic
from sandbox.toxiproxy.toxics.base import Chunk, Toxic, ToxicStub
from sandbox.toxiproxy.toxics.latency import LatencyToxic
from sandbox.toxiproxy.toxics.limit_data import LimitDataToxic
from sandbox.toxiproxy.toxics.noop import NoopToxic
from sandbox.toxiproxy.toxics.registry import attributes_of, build, go_type, lookup, toxic_types
from sandbox.toxiproxy.toxics.reset_peer import ResetPeerToxic
from sandbox.toxiproxy.toxics.slicer import SlicerToxic
from sandbox.toxiproxy.toxics.slow_close import SlowCloseToxic
from sandbox.toxiproxy.toxics.timeout import TimeoutToxic

__all__ = [
    "BandwidthToxic",
    "Chunk",
    "LatencyToxic",
    "LimitDataToxic",
    "NoopToxic",
    "ResetPeerToxic",
    "SlicerToxic",
    "SlowCloseToxic",
    "TimeoutToxic",
    "Toxic",
    "ToxicStub",
    "attributes_of",
    "build",
    "go_type",
    "lookup",
    "toxic_types",
]
