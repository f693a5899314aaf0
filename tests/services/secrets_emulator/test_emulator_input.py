"""No request body a client sends makes an emulator action fail other than with an AWS
error (which the server answers 4xx): arbitrary JSON objects against every action."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.secrets_emulator.parameter_store import ParameterStore
from services.secrets_emulator.secrets_manager import SecretsManager
from services.secrets_emulator.wire import AwsFault

STORES = [ParameterStore(), SecretsManager()]
ACTIONS = [(f"{s.target}.{name}", act) for s in STORES for name, act in s.actions().items()]
FIELDS = ["Name", "Names", "Value", "Type", "Overwrite", "WithDecryption", "Path", "Recursive",
          "MaxResults", "NextToken", "SecretId", "SecretString", "VersionId", "VersionStage",
          "ClientRequestToken"]
scalars = st.none() | st.booleans() | st.integers(-3, 20) | st.text(max_size=40) | st.sampled_from(
    ["/a", "/a/b", "a/b", "/a:1", "/a:x", "String", "SecureString", "AWSCURRENT", "1", "x" * 40])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
payloads = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)


@settings(max_examples=400, deadline=None)
@given(action=st.sampled_from(ACTIONS), payload=payloads)
def test_any_payload_is_answered_or_refused_with_an_aws_error(action, payload) -> None:
    _, handler = action
    try:
        answer = handler(payload)
    except AwsFault as fault:
        assert fault.status == 400 and fault.code
    else:
        assert isinstance(answer, dict)
