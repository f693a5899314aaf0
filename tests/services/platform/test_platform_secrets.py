import pytest

from services.platform.aws_json import AwsError, AwsUnreachable
from services.platform.config import Settings
from services.platform.secrets import SecretsClient, SecretsUnavailable


class FakeSSM:
    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def get_parameter(self, Name, WithDecryption):
        self.calls.append((Name, WithDecryption))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return {"Parameter": {"Name": Name, "Value": outcome}}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def pause(self, seconds):
        self.now += seconds


def not_found():
    return AwsError("ParameterNotFound")


def test_secret_is_read_with_decryption_under_the_prefix():
    ssm = FakeSSM(["pw"])
    client = SecretsClient(Settings(service="catalog", secrets_prefix="/sandbox/dev"), ssm=ssm)
    assert client.get("cache/password") == "pw"
    assert client.get("cache/password") == "pw"  # cached
    assert ssm.calls == [("/sandbox/dev/cache/password", True)]


def test_retries_until_the_emulator_answers():
    clock = Clock()
    down = AwsUnreachable("http://secrets:5000: connection refused")
    ssm = FakeSSM([down, down, not_found(), "pw"])
    client = SecretsClient(Settings(service="x"), ssm=ssm, clock=clock, pause=clock.pause)
    assert client.get("a") == "pw"
    assert len(ssm.calls) == 4


def test_retries_are_bounded_by_the_deadline():
    clock = Clock()
    down = AwsUnreachable("http://secrets:5000: connection refused")
    ssm = FakeSSM([down] * 1000)
    client = SecretsClient(Settings(service="x"), ssm=ssm, deadline=30, clock=clock,
                           pause=clock.pause)
    with pytest.raises(SecretsUnavailable, match="within 30s"):
        client.get("a")
    assert clock.now <= 30
    assert 5 < len(ssm.calls) < 40


def test_access_denied_is_not_retried():
    ssm = FakeSSM([AwsError("AccessDeniedException")])
    with pytest.raises(SecretsUnavailable, match="AccessDenied"):
        SecretsClient(Settings(service="x"), ssm=ssm).get("a")
    assert len(ssm.calls) == 1


def test_a_value_older_than_max_age_is_read_again_so_a_rotation_is_seen():
    clock = Clock()
    ssm = FakeSSM(["old", "new"])
    client = SecretsClient(Settings(service="x"), ssm=ssm, clock=clock, pause=clock.pause)
    assert client.get("k", max_age_s=5) == "old"
    clock.now = 4.9
    assert client.get("k", max_age_s=5) == "old" and len(ssm.calls) == 1
    clock.now = 5.0
    assert client.get("k", max_age_s=5) == "new" and len(ssm.calls) == 2
    assert client.get("k") == "new"  # without max_age the kept value is used
