"""Structured JSON logs that link to traces and never carry secrets.

Call `configure_logging(component)` once per process; `@hexr_agent` does it for agents.
"""

from hexr.logs._processors import STANDARD_FIELDS, add_trace_context
from hexr.logs._setup import configure_logging, ensure_logging, get_logger, log_context
from hexr.redact import Redactor, is_secret_key, scrub_text

__all__ = [
    "STANDARD_FIELDS",
    "Redactor",
    "add_trace_context",
    "configure_logging",
    "ensure_logging",
    "get_logger",
    "is_secret_key",
    "log_context",
    "scrub_text",
]
