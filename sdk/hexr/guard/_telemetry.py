"""Guard instruments: scans and blocks by direction and scanner, scan latency by direction."""

from __future__ import annotations

from hexr.telemetry import _names as n
from hexr.telemetry import get_meter, get_tracer

__all__ = ["BLOCKS", "DURATION", "SCANS", "TRACER"]

TRACER = get_tracer()
_METER = get_meter()
SCANS = _METER.create_counter(
    n.METRIC_GUARD_SCANS, unit="{scan}", description="Guard scanner runs by direction, scanner."
)
BLOCKS = _METER.create_counter(
    n.METRIC_GUARD_BLOCKS, unit="{block}", description="Guard blocks by direction, scanner."
)
DURATION = _METER.create_histogram(
    n.METRIC_GUARD_SCAN_DURATION, unit="s", description="Guard scan latency by direction."
)
