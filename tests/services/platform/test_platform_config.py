import pytest

from services.platform.config import Settings


def test_settings_read_the_compose_environment():
    s = Settings.from_env({
        "SERVICE_NAME": "catalog", "SANDBOX_ENV": "test", "SECRETS_PREFIX": "/sandbox/test/",
        "DATABASE_PORT": "6543", "CATALOG_URL": "http://catalog:8000/",
    })
    assert s.database_name == "catalog_test"
    assert s.database_port == 6543
    assert s.catalog_url == "http://catalog:8000"
    assert s.secret_name("cache/password") == "/sandbox/test/cache/password"


def test_prefix_defaults_to_the_environment():
    assert Settings.from_env({"SERVICE_NAME": "x", "SANDBOX_ENV": "production"}).secrets_prefix == "/sandbox/production"


def test_missing_service_name_is_an_error():
    with pytest.raises(RuntimeError, match="SERVICE_NAME"):
        Settings.from_env({})
