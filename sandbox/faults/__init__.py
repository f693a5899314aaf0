"""Faults on demand: on links through the links' proxy, and on containers; from Python
(``Sandbox.faults``) and the CLI (``sandbox fault ...``)."""

from sandbox.faults.api import Faults
from sandbox.faults.links import LinkFaults
from sandbox.faults.spec import Fault, parse_fault

__all__ = ["Fault", "Faults", "LinkFaults", "parse_fault"]
