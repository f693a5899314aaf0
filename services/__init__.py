"""The simulated system: shared platform code (`services.platform`) and one package per service."""
