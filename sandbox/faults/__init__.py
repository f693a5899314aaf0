"""Faults on demand: link faults through the links' proxy (``sandbox fault ...``)."""

from sandbox.faults.links import LinkFaults
from sandbox.faults.spec import Fault, parse_fault

__all__ = ["Fault", "LinkFaults", "parse_fault"]
