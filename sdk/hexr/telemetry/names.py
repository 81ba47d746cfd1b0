"""Span, attribute and metric names of the Hexr telemetry contract (the public module).

The names are defined in `hexr.telemetry._names` (the place to add one); dashboards, alert
rules and other packages import them from here. `prometheus_name` gives the name a metric
is exposed under on ``/metrics`` (the OpenTelemetry Prometheus exporter's translation), so
alert rules and dashboards can be checked against the instruments.
"""

from __future__ import annotations

import re

from hexr.telemetry._names import *  # noqa: F403 - the public face of the private definitions

_UNIT_SUFFIX = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "ratio"}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


def prometheus_name(metric: str, unit: str = "", *, counter: bool = False) -> str:
    """The Prometheus exposition name of OpenTelemetry metric ``metric``.

    Dots become underscores, a unit is appended (``s`` as ``seconds``; annotations such as
    ``{call}`` add nothing) and counters end in ``_total``: ``hexr.llm.cost`` with unit
    ``usd`` is exposed as ``hexr_llm_cost_usd_total``.
    """
    name = _INVALID.sub("_", metric)
    suffix = "" if not unit or unit.startswith("{") else _UNIT_SUFFIX.get(unit, unit)
    suffix = _INVALID.sub("_", suffix)
    if suffix and not name.endswith(f"_{suffix}"):
        name = f"{name}_{suffix}"
    if counter and not name.endswith("_total"):
        name = f"{name}_total"
    return name
