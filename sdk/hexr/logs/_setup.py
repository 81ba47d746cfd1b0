"""Structured JSON logging for every Hexr component, stdlib logging included.

`configure_logging()` routes structlog and the standard `logging` module through one chain:
timestamp, level, component, tenant, agent, SPIFFE ID, trace and span ids of the current
span (so a line links to its trace), redaction, then JSON (or console) rendering.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

import structlog
from structlog.typing import Processor

from hexr.config import LoggingConfig, ObservabilityConfig
from hexr.logs._processors import StandardFields, add_trace_context
from hexr.redact import Redactor

__all__ = ["configure_logging", "ensure_logging", "get_logger", "log_context"]

_MARK = "_hexr_handler"
_configured = False


def configure_logging(
    component: str,
    config: ObservabilityConfig | None = None,
    *,
    tenant: str | None = None,
    agent: str | None = None,
    spiffe_id: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Install Hexr's log pipeline on the root logger and structlog (idempotent).

    Args:
        component: what this process is (``agent``, ``injector``, ``identity``...).
        config: level, format and content capture; ``None`` reads the process config.
        tenant: process-wide default for the ``tenant`` field.
        agent: process-wide default for the ``agent`` field.
        spiffe_id: process-wide default for the ``spiffe_id`` field.
        stream: where lines go (default ``sys.stderr``).

    Raises:
        ConfigError: the observability config is invalid (when ``config`` is None).
    """
    global _configured
    if config is None:
        from hexr.config import get_observability_config

        config = get_observability_config()
    settings: LoggingConfig = config.logging
    defaults = {"component": component, "tenant": tenant, "agent": agent,
                "spiffe_id": spiffe_id}
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_trace_context,
        StandardFields(defaults),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=str)
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            # Last before rendering, so tracebacks and formatted messages are scrubbed too.
            Redactor(capture_content=config.capture_content),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    _quiet_client_libraries(settings.level)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    _configured = True


# HTTP and gRPC client libraries log every request at INFO: a line per LLM call, vault read
# or stream cancel would drown what the agent itself says.
# openai 3.x ships its own httpx fork, which logs as httpx2.
_CHATTY_LIBRARIES = (
    "httpx", "httpcore", "httpx2", "httpcore2", "grpclib", "botocore", "urllib3", "hvac",
)


def _quiet_client_libraries(level: str) -> None:
    """Raise chatty libraries to WARNING unless the config asks for DEBUG.

    A library whose level the application set itself is left alone.
    """
    if level == "DEBUG":
        return
    for name in _CHATTY_LIBRARIES:
        library = logging.getLogger(name)
        if library.level == logging.NOTSET:
            library.setLevel(logging.WARNING)


def ensure_logging(component: str, *, spiffe_id: str | None = None) -> None:
    """`configure_logging` once per process; later calls (more agents) change nothing.

    Raises:
        ConfigError: the observability config is invalid.
    """
    if not _configured:
        configure_logging(component, spiffe_id=spiffe_id)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger (stdlib-backed) with ``initial`` fields bound."""
    return structlog.stdlib.get_logger(name, **initial)


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Bind fields (tenant, agent, spiffe_id...) to every line logged in this context."""
    with structlog.contextvars.bound_contextvars(
        **{k: v for k, v in fields.items() if v is not None}
    ):
        yield
