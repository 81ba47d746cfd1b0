"""Latency breakdown: where a request spends its time, per stage.

Each stage (guard scan, credential fetch, policy decision, upstream first byte, upstream,
response handling, serialization) is recorded twice: as an event on the request's span,
so one trace shows the breakdown, and in the ``hexr.stage.duration`` histogram by
component and stage, so p95 per stage can be graphed. Events cost far less than child
spans, which matters on the LLM hot path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from time import perf_counter

from opentelemetry import trace
from opentelemetry.metrics import Meter
from opentelemetry.util.types import AttributeValue

from hexr.telemetry import _names as n
from hexr.telemetry import get_meter
from hexr.telemetry._instruments import deferred_histogram

__all__ = ["StageRecorder", "stage_recorder"]

_ATTR_COMPONENT = "component"
_ATTR_DURATION_MS = "hexr.stage.duration_ms"
_LABEL_LIMIT = 256


class StageRecorder:
    """Records stage durations on spans and in the stage histogram (labels cached)."""

    def __init__(self, meter: Meter | None = None) -> None:
        # Deferred: the record is an append; aggregation runs off the request's path. The
        # Hexr meter's collections drain the queue already; only a caller's own meter needs
        # its readers hooked up too.
        own_meter = meter
        meter = meter or get_meter()
        self._histogram = deferred_histogram(
            meter.create_histogram(
                n.METRIC_STAGE_DURATION,
                unit="s",
                description="Time spent in one stage of a request, by component and stage.",
            ),
            own_meter,
        )
        self._labels: dict[tuple[str, str], dict[str, str]] = {}

    def _label(self, component: str, stage: str) -> dict[str, str]:
        key = (component, stage)
        labels = self._labels.get(key)
        if labels is None:
            labels = {_ATTR_COMPONENT: component, "stage": stage}
            # Stage names come from code, so this stays small; the cap guards misuse.
            if len(self._labels) < _LABEL_LIMIT:
                self._labels[key] = labels
        return labels

    def record(
        self,
        span: trace.Span | None,
        component: str,
        stage: str,
        seconds: float,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        """Record that ``stage`` of ``component`` took ``seconds`` (span event + histogram).

        ``attributes`` go on the span event only, never on the histogram.
        """
        self._histogram.record(seconds, self._label(component, stage))
        if span is not None and span.is_recording():
            event: dict[str, AttributeValue] = {
                n.ATTR_STAGE: stage, _ATTR_DURATION_MS: round(seconds * 1000, 3)
            }
            if attributes:
                event.update(attributes)
            span.add_event(stage, event)

    @contextmanager
    def stage(
        self, component: str, stage: str, span: trace.Span | None = None
    ) -> Iterator[None]:
        """Time the block as ``stage``; on the current span unless ``span`` is given."""
        started = perf_counter()
        try:
            yield
        finally:
            target = span if span is not None else trace.get_current_span()
            self.record(target, component, stage, perf_counter() - started)


_lock = threading.Lock()
_recorder: StageRecorder | None = None


def stage_recorder() -> StageRecorder:
    """The process's stage recorder (one histogram, created on first use)."""
    global _recorder
    with _lock:
        if _recorder is None:
            _recorder = StageRecorder()
        return _recorder
