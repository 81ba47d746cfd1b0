"""Handshake counts and latency of Hexr's mTLS endpoints (server and client side).

Recorded by the SSLObject/SSLSocket subclasses of `hexr.identity._tls` from the first
``do_handshake`` call to its completion (network round trips included, as a peer sees it):
``hexr.tls.handshakes{side, result}`` (result ``ok`` | ``failed``) and the histogram
``hexr.tls.handshake.duration{side}`` in seconds.
"""

from __future__ import annotations

import ssl
import threading
from time import perf_counter
from typing import Any

from opentelemetry import metrics

from hexr.telemetry import _names as n

__all__ = ["timed_handshake"]

_lock = threading.Lock()
_instruments: tuple[Any, Any] | None = None
_ATTRS = {
    (side, result): {"side": side, "result": result}
    for side in ("server", "client")
    for result in ("ok", "failed")
}
_SIDE_ATTRS = {side: {"side": side} for side in ("server", "client")}


def _get() -> tuple[Any, Any]:
    global _instruments
    with _lock:
        if _instruments is None:
            meter = metrics.get_meter(n.SCOPE)
            _instruments = (
                meter.create_counter(
                    n.METRIC_TLS_HANDSHAKES, unit="{handshake}",
                    description="mTLS handshakes by side and result.",
                ),
                meter.create_histogram(
                    n.METRIC_TLS_HANDSHAKE_DURATION, unit="s",
                    description="mTLS handshake duration (first flight to completion).",
                ),
            )
        return _instruments


def timed_handshake(obj: Any, handshake: Any) -> None:
    """Run ``handshake()`` for ``obj`` and record the handshake once it ends either way."""
    started = obj.__dict__.setdefault("_hexr_handshake_started", perf_counter())
    side = "server" if obj.server_side else "client"
    try:
        handshake()
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        raise  # not finished: asyncio calls again when the peer's bytes arrive
    except (ssl.SSLError, OSError):
        _record(side, "failed", started)
        raise
    _record(side, "ok", started)


def _record(side: str, result: str, started: float) -> None:
    counter, histogram = _get()
    counter.add(1, _ATTRS[side, result])
    histogram.record(perf_counter() - started, _SIDE_ATTRS[side])
