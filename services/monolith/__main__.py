"""`python3 -m services.monolith`: sshd (when keys are given) and gunicorn (1 gthread worker)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from services.platform.config import Settings
from services.platform.identity import IDENTITY_KEY_SECRET, install_identity_key
from services.platform.logging import configure_logging, get_logger
from services.platform.secrets import SecretsClient
from services.platform.tracing import setup_tracing

from .ssh import drop_privileges, start_sshd

log = get_logger()
# gunicorn's own logs as JSON lines on stdout, like everything else
GUNICORN_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "services.platform.logging.JsonFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True}},
}


class MonolithServer(BaseApplication):
    """gunicorn, configured in code; the Flask app is built in the worker (after fork)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in {
            "bind": f"0.0.0.0:{self.settings.http_port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": 16,
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": None,
            "logconfig_dict": GUNICORN_LOGGING,
            # gunicorn's default is the uid it was imported under (root, before
            # drop_privileges): the workers are who the process is now
            "user": os.getuid(),
            "group": os.getgid(),
        }.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        configure_logging(self.settings.service, self.settings.log_level)
        setup_tracing(self.settings.service)  # in the worker: the exporter's thread is its own
        secrets = SecretsClient(self.settings)
        install_identity_key(secrets.get(IDENTITY_KEY_SECRET))  # identity needs the gateway's proof
        return create_app(self.settings, secrets)


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.service, settings.log_level)
    start_sshd(os.environ.get("SSH_AUTHORIZED_KEYS"))
    drop_privileges()  # sshd (started above) keeps root; the service does not
    # read the secrets once before forking so a missing emulator fails fast and loudly
    secrets = SecretsClient(settings)
    secrets.get("monolith/db_password")
    log.info("service.starting", port=settings.http_port)
    MonolithServer(settings).run()


if __name__ == "__main__":
    main()
