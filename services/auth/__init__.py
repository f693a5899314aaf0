"""Auth service: enrolled clients and API keys, users, RBAC through nested groups, RS256 JWTs.

- `python3 -m services.auth`: the HTTP API (token, JWKS, the gateway's verify, enrolment).
- `python3 -m services.auth.worker`: relays the outbox and records `auth.*` audit events.
"""
