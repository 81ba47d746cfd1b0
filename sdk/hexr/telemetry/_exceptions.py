"""Recording an exception on a span without leaking a credential into the trace.

The SDK's ``record_exception`` stores ``str(exc)`` and the formatted traceback verbatim;
provider and HTTP errors can quote tokens or keys. Here both go through the same scrubber
the JSON logs use, and are bounded in size.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode, Tracer

__all__ = ["record_error", "scrubbed_span"]


def record_error(span: Span, error: BaseException, *, keep_status: bool = False) -> None:
    """Record ``error`` as the span's exception event and set status ERROR.

    Args:
        span: The span (a non-recording span is left alone).
        error: The exception raised by the wrapped call.
        keep_status: Leave an ERROR status someone already set (a guard's reason).
    """
    if not span.is_recording():
        return
    # Imported on the error path only: `import hexr` stays free of the logging stack.
    from hexr.redact import scrub_text, scrub_traceback

    name = type(error).__qualname__
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not replace the caller's error
        message = f"<unprintable {name}>"
    stack = "".join(traceback.format_exception(error))
    span.add_event(
        "exception",
        {
            "exception.type": f"{type(error).__module__}.{name}",
            "exception.message": scrub_text(message),
            "exception.stacktrace": scrub_traceback(stack),
            "exception.escaped": True,
        },
    )
    span.set_attribute("error.type", name)
    status = getattr(span, "status", None)
    if keep_status and status is not None and status.status_code is StatusCode.ERROR:
        return
    span.set_status(Status(StatusCode.ERROR, name))


@contextmanager
def scrubbed_span(tracer: Tracer, name: str, **kwargs: Any) -> Iterator[Span]:
    """``tracer.start_as_current_span(name)`` whose failure is recorded by `record_error`.

    The SDK's own recording would store the exception text verbatim, as an event and as the
    status description, so both are switched off and the scrubbed record replaces them.
    """
    with tracer.start_as_current_span(
        name, record_exception=False, set_status_on_exception=False, **kwargs
    ) as span:
        try:
            yield span
        except BaseException as exc:
            record_error(span, exc)
            raise
