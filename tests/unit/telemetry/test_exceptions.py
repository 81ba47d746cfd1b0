"""`record_error`: exceptions on spans, scrubbed and bounded, never raising."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hexr.redact import MAX_STRING
from hexr.telemetry._exceptions import record_error, scrubbed_span


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


def test_scrubbed_span_records_one_scrubbed_event_and_status() -> None:
    import pytest
    from opentelemetry.trace import StatusCode

    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWJ5dGVz"
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with pytest.raises(ValueError, match="Bearer"), scrubbed_span(provider.get_tracer("t"), "s"):
        raise ValueError(f"bad header 'Bearer {token}'")
    (span,) = exporter.get_finished_spans()
    # Exactly the scrubbed record: the SDK's verbatim event and status are switched off.
    assert [e.name for e in span.events] == ["exception"]
    assert span.status.status_code is StatusCode.ERROR
    assert token not in str(span.status.description)
    assert token not in str(dict(span.events[0].attributes or {}))
