"""AWS Parameter Store / Secrets Manager emulator: moto's server plus the per-run seed.

`python3 -m services.secrets_emulator` serves moto on 0.0.0.0:5000, seeds every file under
`SANDBOX_SECRETS_DIR` (the run's secret files, `/run/secrets/<name>`) as the SSM
`SecureString` parameter `${SECRETS_PREFIX}/<name>` and as a Secrets Manager secret of the
same name, and answers `GET /health/ready` with a real
GetParameter round trip once the seed is in.
"""
