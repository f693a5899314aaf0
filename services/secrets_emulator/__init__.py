"""AWS Parameter Store / Secrets Manager emulator: moto's server plus the per-run seed.

`python3 -m services.secrets_emulator` serves moto on 0.0.0.0:5000, seeds every entry of
`SANDBOX_SECRETS_SEED` (JSON `{name: value}`) as an SSM `SecureString` parameter and as a
Secrets Manager secret of the same name, and answers `GET /health/ready` with a real
GetParameter round trip once the seed is in.
"""
