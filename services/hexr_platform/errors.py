"""Errors of the local platform supervisor.

::

    HexrError
    └── PlatformError              the local platform could not do what was asked
        ├── NotInstalledError      a component's binary is missing (message: how to install)
        └── ComponentStartError    a component exited or never became healthy (log tail)
"""

from __future__ import annotations

from hexr.errors import HexrError

__all__ = ["ComponentStartError", "NotInstalledError", "PlatformError"]


class PlatformError(HexrError):
    """The local platform could not do what was asked."""


class NotInstalledError(PlatformError):
    """A component's binary is not installed; the message says how to install it."""


class ComponentStartError(PlatformError):
    """A component exited during start or never became healthy."""
