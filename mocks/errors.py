"""The errors of the mocks.

    MocksError                  a mistake in how the mocks are used or configured
     ├── ContractMissing        a contract document is not where the mocks look for it
     └── UnknownOperation       an override names no operation of the contract
    ContractViolation           (an AssertionError) traffic or a stub that breaks a contract
"""

from __future__ import annotations


class MocksError(Exception):
    """A mistake in the use or configuration of the mocks; the message names the fix."""


class ContractMissing(MocksError):
    """A contract document (``mocks/contracts/<name>``) does not exist."""


class UnknownOperation(MocksError):
    """An override or a lookup names an operation the contract does not have."""


class ContractViolation(AssertionError):
    """An answer (generated or stubbed), a request or an event breaks its contract.

    ``str()`` names the operation and the field::

        catalog GET /internal/products/{sku} 200: price_cents: 'x' is not of type 'integer'
    """

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = list(problems)
        super().__init__("; ".join(f"{where}: {p}" for p in self.problems))
