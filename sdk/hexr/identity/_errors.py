"""Translate py-spiffe and grpc failures into Hexr's error tree at the boundary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import grpc  # type: ignore[import-untyped]
from spiffe.errors import PySpiffeError

from hexr.errors import AttestationError, IdentityError

__all__ = ["call_with_retry", "status_of", "translate_errors"]

_T = TypeVar("_T")
_FIRST_BACKOFF_SECONDS = 0.05
_MAX_BACKOFF_SECONDS = 1.0


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


def call_with_retry(what: str, call: Callable[[], _T], timeout: float) -> _T:
    """Run a one-shot Workload API call, retrying UNAVAILABLE until ``timeout``.

    The Workload API restarting (a supervisor restarts a crashed identity service, a SPIRE
    agent upgrade) must look like a short delay, not an error, to agent code.

    Raises:
        AttestationError: the Workload API does not know this process.
        IdentityError: any other failure, or still unavailable after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    backoff = _FIRST_BACKOFF_SECONDS
    while True:
        try:
            with translate_errors(what):
                return call()
        except IdentityError as err:
            retryable = status_of(err) is grpc.StatusCode.UNAVAILABLE
            if not retryable or time.monotonic() + backoff > deadline:
                raise
        time.sleep(backoff)
        backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
