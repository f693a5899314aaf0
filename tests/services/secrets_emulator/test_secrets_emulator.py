"""The secrets emulator in-process on an ephemeral port, checked with boto3, the real AWS
client: seed, read back through both APIs, versions, errors, and readiness."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from services.secrets_emulator.seeding import read_seed_dir, seed_secrets
from services.secrets_emulator.server import ReadinessCheck, make_emulator_server

SEED = {"/sandbox/test/auth/admin_api_key": "k" * 64,
        "/sandbox/test/auth/jwt_private_key": "-----BEGIN PRIVATE KEY-----\nMII...\n"}


def make_client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",  # type: ignore[call-overload]
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, ReadinessCheck]]:
    server, ready = make_emulator_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", ready
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def url(emulator: tuple[str, ReadinessCheck]) -> str:
    return emulator[0]


def test_not_ready_before_seeding_then_ready(emulator: tuple[str, ReadinessCheck]) -> None:
    url, ready = emulator
    assert httpx.get(f"{url}/health/live").status_code == 200
    assert httpx.get(f"{url}/health/ready").status_code == 503
    assert seed_secrets(url, SEED) == 2
    ready.mark_seeded(SEED)
    resp = httpx.get(f"{url}/health/ready")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def test_seeded_values_read_back_from_both_apis(url: str) -> None:
    seed_secrets(url, SEED)
    ssm = make_client("ssm", url)
    sm = make_client("secretsmanager", url)
    for name, value in SEED.items():
        param = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert param["Type"] == "SecureString" and param["Value"] == value
        assert sm.get_secret_value(SecretId=name)["SecretString"] == value


def test_seeding_twice_overwrites_and_keeps_the_previous_version(url: str) -> None:
    name = "/sandbox/test/cache/password"
    seed_secrets(url, {name: "one"})
    seed_secrets(url, {name: "two"})
    sm = make_client("secretsmanager", url)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "one" and previous["VersionStages"] == ["AWSPREVIOUS"]
    ssm = make_client("ssm", url)
    latest = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    first = ssm.get_parameter(Name=f"{name}:{latest['Version'] - 1}", WithDecryption=True)
    assert latest["Value"] == "two" and first["Parameter"]["Value"] == "one"


def test_a_secure_string_read_without_decryption_hides_the_value(url: str) -> None:
    ssm = make_client("ssm", url)
    ssm.put_parameter(Name="/sandbox/test/hidden", Value="s3cret", Type="SecureString",
                      Overwrite=True)
    shown = ssm.get_parameter(Name="/sandbox/test/hidden")["Parameter"]["Value"]
    assert "s3cret" not in shown and shown


def test_parameter_errors_are_aws_error_codes(url: str) -> None:
    ssm = make_client("ssm", url)
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/sandbox/test/absent")
    ssm.put_parameter(Name="/sandbox/test/once", Value="1", Type="String", Overwrite=True)
    with pytest.raises(ssm.exceptions.ParameterAlreadyExists):
        ssm.put_parameter(Name="/sandbox/test/once", Value="2", Type="String")
    with pytest.raises(ssm.exceptions.ParameterVersionNotFound):
        ssm.get_parameter(Name="/sandbox/test/once:99")
    with pytest.raises(ssm.exceptions.ClientError, match="type is required"):
        ssm.put_parameter(Name="/sandbox/test/typeless", Value="x")
    ssm.delete_parameter(Name="/sandbox/test/once")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name="/sandbox/test/once")


def test_parameters_by_name_and_by_path_page_through(url: str) -> None:
    ssm = make_client("ssm", url)
    for i in range(13):
        ssm.put_parameter(Name=f"/sandbox/paged/a/{i:02}", Value=str(i), Type="String",
                          Overwrite=True)
    ssm.put_parameter(Name="/sandbox/paged/a/deeper/x", Value="x", Type="String", Overwrite=True)
    pages = ssm.get_paginator("get_parameters_by_path")
    flat = [p["Name"] for page in pages.paginate(Path="/sandbox/paged/a") for p in page["Parameters"]]
    assert flat == [f"/sandbox/paged/a/{i:02}" for i in range(13)]
    deep = [p["Name"] for page in pages.paginate(Path="/sandbox/paged", Recursive=True)
            for p in page["Parameters"]]
    assert len(deep) == 14 and "/sandbox/paged/a/deeper/x" in deep
    got = ssm.get_parameters(Names=["/sandbox/paged/a/00", "/sandbox/paged/none"])
    assert [p["Value"] for p in got["Parameters"]] == ["0"]
    assert got["InvalidParameters"] == ["/sandbox/paged/none"]


def test_secret_errors_and_lookup_by_arn(url: str) -> None:
    sm = make_client("secretsmanager", url)
    made = sm.create_secret(Name="sandbox/test/by-arn", SecretString="v1")
    assert sm.get_secret_value(SecretId=made["ARN"])["SecretString"] == "v1"
    with pytest.raises(sm.exceptions.ResourceExistsException):
        sm.create_secret(Name="sandbox/test/by-arn", SecretString="v2")
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="sandbox/test/never")
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.put_secret_value(SecretId="sandbox/test/never", SecretString="x")


def _post(url: str, body: bytes, target: str = "AmazonSSM.GetParameter",
          scope: str = "ssm") -> httpx.Response:
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1",
               "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261207/us-east-1/{scope}/"
                                "aws4_request, SignedHeaders=host, Signature=00"}
    return httpx.post(f"{url}/", content=body, headers=headers)


@pytest.mark.parametrize(("body", "target", "scope", "status", "code"), [
    (b"{not json", "AmazonSSM.GetParameter", "ssm", 400, "SerializationException"),
    (b"[1, 2]", "AmazonSSM.GetParameter", "ssm", 400, "SerializationException"),
    (b'{"Name": 3}', "AmazonSSM.GetParameter", "ssm", 400, "ValidationException"),
    (b'{"Name": "a//b"}', "AmazonSSM.GetParameter", "ssm", 400, "ValidationException"),
    (b'{"Names": "x"}', "AmazonSSM.GetParameters", "ssm", 400, "ValidationException"),
    (b'{"Path": "/a", "MaxResults": 11}', "AmazonSSM.GetParametersByPath", "ssm", 400,
     "ValidationException"),
    (b"{}", "AmazonSSM.DescribeEverything", "ssm", 400, "UnknownOperationException"),
    (b"{}", "", "ssm", 400, "UnknownOperationException"),
    (b'{"Name": "/a"}', "AmazonSSM.GetParameter", "secretsmanager", 400,
     "InvalidSignatureException"),
    (b'{"SecretId": ""}', "secretsmanager.GetSecretValue", "secretsmanager", 400,
     "InvalidParameterException"),
])
def test_a_malformed_request_is_a_4xx_with_an_aws_error_code(url, body, target, scope, status,
                                                               code) -> None:
    resp = _post(url, body, target, scope)
    assert resp.status_code == status and resp.json()["__type"] == code


def test_unsigned_oversized_and_unknown_requests_are_refused(url: str) -> None:
    unsigned = httpx.post(f"{url}/", content=b"{}", headers={"X-Amz-Target": "AmazonSSM.GetParameter"})
    assert unsigned.status_code == 400
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    big = _post(url, b"{" + b" " * (1 << 20) + b"}")
    assert big.status_code == 413
    assert httpx.get(f"{url}/elsewhere").status_code == 404


def test_readiness_fails_when_a_seeded_value_is_gone(url: str) -> None:
    check = ReadinessCheck(url)
    check.mark_seeded({"/sandbox/test/never/written": "x"})
    ok, detail = check()
    assert not ok and "round trip failed" in detail and "ParameterNotFound" in detail


def test_with_an_empty_seed_readiness_is_the_api_answering(url: str) -> None:
    check = ReadinessCheck(url)
    check.mark_seeded({})
    assert check() == (True, "ok")
    assert ReadinessCheck("http://127.0.0.1:9")() == (False, "seeding")


def test_the_seed_is_every_file_of_the_secrets_directory(tmp_path) -> None:
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "db_password").write_text("p1")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "password").write_text("p2\n")
    (tmp_path / ".hidden").write_text("not a secret")
    assert read_seed_dir(tmp_path, "/sandbox/test/") == {
        "/sandbox/test/auth/db_password": "p1", "/sandbox/test/cache/password": "p2\n"}
    with pytest.raises(ValueError, match="not a directory"):
        read_seed_dir(tmp_path / "missing", "/sandbox/test")
