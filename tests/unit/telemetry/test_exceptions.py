"""`record_error`: exceptions on spans, scrubbed and bounded, never raising."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hexr.logs._redact import MAX_STRING
from hexr.telemetry._exceptions import record_error


def _recorded(error: BaseException) -> dict[str, object]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("t").start_span("s")
    record_error(span, error)
    span.end()
    (finished,) = exporter.get_finished_spans()
    (event,) = finished.events
    assert event.attributes is not None
    return dict(event.attributes)


def test_a_long_traceback_keeps_its_last_line() -> None:
    try:
        try:
            raise OSError("upstream body: " + "x" * 12_000)  # e.g. a provider's long error page
        except OSError as cause:
            raise ValueError("the call failed") from cause
    except ValueError as exc:
        attrs = _recorded(exc)
    stack = str(attrs["exception.stacktrace"])
    assert len(stack) <= MAX_STRING + len("...[truncated]")
    # The exception that escaped is written last; it is the line worth keeping.
    assert stack.rstrip().endswith("ValueError: the call failed")


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def test_an_exception_whose_str_raises_is_still_recorded() -> None:
    attrs = _recorded(_Unprintable())
    assert attrs["exception.type"] == f"{__name__}._Unprintable"
    assert "_Unprintable" in str(attrs["exception.message"])
