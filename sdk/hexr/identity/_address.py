"""Where the Workload API is: explicit argument, environment, then the local platform."""

from __future__ import annotations

from hexr import _env
from hexr.endpoints import resolve_endpoint
from hexr.errors import IdentityError

__all__ = ["resolve_socket"]


def resolve_socket(socket_path: str | None = None) -> str:
    """The Workload API address as ``unix:///path``.

    Raises:
        IdentityError: no address is configured and no local platform publishes one.
    """
    value = socket_path or resolve_endpoint(_env.SPIFFE_ENDPOINT_SOCKET)
    if not value:
        raise IdentityError(
            "no Workload API configured: set SPIFFE_ENDPOINT_SOCKET or run `hexr dev up`"
        )
    if value.startswith("unix://"):
        return value
    if value.startswith("/"):
        return f"unix://{value}"
    raise IdentityError("the Workload API address must be unix:///absolute/path")
