"""Translate py-spiffe and grpc failures into Hexr's error tree at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc  # type: ignore[import-untyped]
from spiffe.errors import PySpiffeError

from hexr.errors import AttestationError, IdentityError

__all__ = ["status_of", "translate_errors"]


def status_of(error: BaseException) -> grpc.StatusCode | None:
    """The gRPC status code somewhere in ``error``'s cause chain, if any."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, grpc.Call):
            code = seen.code()
            return code if isinstance(code, grpc.StatusCode) else None
        seen = seen.__cause__
    return None


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Raise `AttestationError` for PermissionDenied, `IdentityError` for the rest.

    Raises:
        AttestationError: the Workload API does not know this process.
        IdentityError: any other Workload API or SVID failure.
    """
    try:
        yield
    except (PySpiffeError, grpc.RpcError) as err:
        code = status_of(err)
        if code is grpc.StatusCode.PERMISSION_DENIED:
            raise AttestationError(
                f"{what}: this process is not a registered workload "
                "(run it with `hexr dev run` or register it)"
            ) from err
        if code is grpc.StatusCode.UNAVAILABLE:
            raise IdentityError(f"{what}: the Workload API is unavailable") from err
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            raise IdentityError(f"{what}: the Workload API did not answer in time") from err
        detail = err.details() if isinstance(err, grpc.Call) else str(err)
        raise IdentityError(f"{what}: {detail}") from err
