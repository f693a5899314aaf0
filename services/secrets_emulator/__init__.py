"""AWS Parameter Store / Secrets Manager emulator in the standard library, with the run's seed.

`python3 -m services.secrets_emulator` serves both APIs (AWS JSON 1.1) on 0.0.0.0:5000,
seeds every file under `SANDBOX_SECRETS_DIR` (the run's secret files,
`/run/secrets/<name>`) as the SSM `SecureString` parameter `${SECRETS_PREFIX}/<name>` and
as a Secrets Manager secret of the same name, and answers `GET /health/ready` with a real
GetParameter round trip once the seed is in.

It serves what the sandbox and its services call: Parameter Store's PutParameter,
GetParameter (also `name:version`), GetParameters, GetParametersByPath and
DeleteParameter; Secrets Manager's CreateSecret, PutSecretValue and GetSecretValue. Any
other action answers `UnknownOperationException`.
"""
