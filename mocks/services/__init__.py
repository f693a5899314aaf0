"""The plug-ins of the services' mocks, one module each (imported: they register)."""

from . import auth, catalog, monolith, payments, webhooks

__all__ = ["auth", "catalog", "monolith", "payments", "webhooks"]
