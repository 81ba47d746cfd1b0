"""Vault instruments, created once at import; spans carry path and tenant, never values."""

from __future__ import annotations

from hexr.telemetry import get_meter, get_tracer
from hexr.telemetry._names import (
    METRIC_VAULT_DURATION,
    METRIC_VAULT_ERRORS,
    METRIC_VAULT_OPERATIONS,
)

__all__ = ["DURATION", "ERRORS", "OPERATIONS", "TRACER"]

TRACER = get_tracer()
_METER = get_meter()
OPERATIONS = _METER.create_counter(
    METRIC_VAULT_OPERATIONS, unit="{operation}", description="Vault operations by op and status."
)
DURATION = _METER.create_histogram(
    METRIC_VAULT_DURATION, unit="s", description="Vault operation latency, login included."
)
ERRORS = _METER.create_counter(
    METRIC_VAULT_ERRORS, unit="{error}", description="Failed vault operations by op and reason."
)
