"""Vault-specific refinements of the `hexr.errors` tree and translation of hvac errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import hvac.exceptions
import requests

from hexr.errors import HexrError, PolicyDenied, VaultError, VaultPathError

__all__ = [
    "LoginRefused",
    "SecretNotFound",
    "VaultUnavailable",
    "display_addr",
    "error_reason",
    "translate_errors",
]


class SecretNotFound(VaultError, LookupError):
    """No secret (or only a deleted version) exists at the path."""


_UNAVAILABLE = (
    hvac.exceptions.VaultDown,
    hvac.exceptions.InternalServerError,
    hvac.exceptions.BadGateway,
    hvac.exceptions.RateLimitExceeded,
    hvac.exceptions.VaultNotInitialized,
)


def error_reason(exc: BaseException) -> str:
    """A bounded metric label for a failure."""
    if isinstance(exc, VaultPathError):
        return "invalid_path"
    if isinstance(exc, PolicyDenied):
        return "denied"
    if isinstance(exc, SecretNotFound):
        return "not_found"
    if isinstance(exc, LoginRefused):
        return "login_refused"
    if isinstance(exc, VaultUnavailable):
        return "unavailable"
    return "error"


class LoginRefused(VaultError):
    """The vault refused this workload's JWT-SVID."""


class VaultUnavailable(VaultError):
    """The vault could not be reached or answered with a server error."""


@contextmanager
def translate_errors(op: str, addr: str, path: str | None = None) -> Iterator[None]:
    """Turn hvac/requests failures of ``op`` into `VaultError`s (messages hold no values).

    ``path`` is the tenant-relative path the call was about (already validated, so safe to
    show): a refusal or a miss names it, so the caller sees *which* secret.

    Raises:
        VaultError: for every hvac or transport failure.
    """
    where = f" of {path!r}" if path is not None else ""
    try:
        yield
    except HexrError:
        raise
    except hvac.exceptions.Forbidden as exc:
        raise PolicyDenied(f"vault denied {op}{where}") from exc
    except hvac.exceptions.InvalidPath as exc:
        at = f"at {path!r}" if path is not None else "at that path"
        raise SecretNotFound(f"vault {op}: no secret {at}") from exc
    except _UNAVAILABLE as exc:
        raise VaultUnavailable(
            f"vault {op} failed: server unavailable ({type(exc).__name__})"
        ) from exc
    except hvac.exceptions.VaultError as exc:
        raise VaultError(f"vault {op} failed ({type(exc).__name__})") from exc
    except requests.exceptions.RequestException as exc:
        reason = f"cannot reach {display_addr(addr)} ({type(exc).__name__})"
        raise VaultUnavailable(f"vault {op} failed: {reason}") from exc


def display_addr(addr: str) -> str:
    """``addr`` without userinfo (``https://user:pw@host`` -> ``https://host``) for messages."""
    scheme, sep, rest = addr.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}" if sep else addr


def login_refused(message: str) -> VaultError:
    """The error for a refused login (bounded message from the server, never the JWT)."""
    return LoginRefused(message)
