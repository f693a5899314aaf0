"""Errors a user can cause, each one line naming the cause and the fix.

    SandboxError
     ├── DockerUnavailable     no Docker daemon
     ├── PortInUse             a fixed host port is taken
     ├── ImageBuildFailed      an image recipe did not build
     ├── TopologyError         the compose file is malformed
     ├── AlreadyRunning        `up` while this project's sandbox runs
     ├── NotRunning            a command that needs a running sandbox
     ├── StuckNetwork          Docker keeps an endpoint of a removed container
     └── ReadinessTimeout      a service never became healthy
          └── ServiceExited    its container stopped while we waited
"""

from __future__ import annotations


class SandboxError(Exception):
    """An error the user can act on: `cause` says what happened, `fix` what to do."""

    exit_code = 1

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix

    def one_line(self) -> str:
        """The message the CLI prints: ``error: <cause>; fix: <fix>``."""
        cause = " ".join(self.cause.split())
        fix = " ".join(self.fix.split())
        return f"error: {cause} -- fix: {fix}"

    def __str__(self) -> str:
        return self.one_line()


class DockerUnavailable(SandboxError):
    pass


class PortInUse(SandboxError):
    pass


class ImageBuildFailed(SandboxError):
    pass


class TopologyError(SandboxError):
    pass


class AlreadyRunning(SandboxError):
    pass


class NotRunning(SandboxError):
    pass


class StuckNetwork(SandboxError):
    """A run's network still has an endpoint after its containers are gone (a Docker
    daemon fault: only restarting the daemon frees it)."""


class ReadinessTimeout(SandboxError):
    pass


class ServiceExited(ReadinessTimeout):
    """A container stopped while the runtime waited for it to become ready."""
