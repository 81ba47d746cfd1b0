import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from hexr.config import ObservabilityConfig
from hexr.logs import configure_logging, get_logger, log_context
from hexr.redact import CONTENT_PLACEHOLDER, REDACTED


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    httpx_level = logging.getLogger("httpx").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def _config(**logging_fields: Any) -> ObservabilityConfig:
    capture = logging_fields.pop("capture_content", False)
    return ObservabilityConfig.model_validate(
        {"logging": logging_fields, "capture_content": capture}
    )


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_line_has_the_standard_fields() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(), tenant="acme", agent="billing",
                      spiffe_id="spiffe://hexr.local/agent/acme/billing/main", stream=stream)
    get_logger("hexr.test").info("started", step=1)
    (line,) = _lines(stream)
    assert line["event"] == "started"
    assert line["level"] == "info"
    assert line["component"] == "agent"
    assert line["tenant"] == "acme"
    assert line["agent"] == "billing"
    assert line["spiffe_id"] == "spiffe://hexr.local/agent/acme/billing/main"
    assert line["step"] == 1
    assert line["trace_id"] is None
    assert line["span_id"] is None
    stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_lines_carry_the_ids_of_the_span_that_emitted_them() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(), stream=stream)
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("outer") as outer:
        get_logger().info("in outer")
        with tracer.start_as_current_span("inner") as inner:
            logging.getLogger("stdlib.lib").warning("from %s", "stdlib")
    first, second = _lines(stream)
    assert first["trace_id"] == format(outer.get_span_context().trace_id, "032x")
    assert first["span_id"] == format(outer.get_span_context().span_id, "016x")
    assert second["event"] == "from stdlib"
    assert second["trace_id"] == first["trace_id"]
    assert second["span_id"] == format(inner.get_span_context().span_id, "016x")
    assert second["component"] == "agent"
    assert second["level"] == "warning"


def test_log_context_overrides_process_defaults() -> None:
    stream = io.StringIO()
    configure_logging("injector", _config(), tenant="default", stream=stream)
    with log_context(tenant="globex", agent="planner"):
        get_logger().info("inside")
    get_logger().info("outside")
    inside, outside = _lines(stream)
    assert (inside["tenant"], inside["agent"]) == ("globex", "planner")
    assert (outside["tenant"], outside["agent"]) == ("default", None)


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_level_from_config_applies_to_structlog_and_stdlib(level: str) -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(level=level), stream=stream)
    order = ["debug", "info", "warning", "error"]
    for name in order:
        getattr(get_logger(), name)(f"s-{name}")
        getattr(logging.getLogger("lib"), name)(f"l-{name}")
    expected = order[order.index(level.lower()):]
    assert [line["event"] for line in _lines(stream)] == [
        f"{prefix}-{name}" for name in expected for prefix in ("s", "l")
    ]


def test_secrets_and_content_never_reach_the_output() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(), stream=stream)
    get_logger().info("calling with Bearer abcdefghijkl123456", api_key="sk-abc",
                      prompt="the user's private question")
    logging.getLogger("lib").info("dsn=%s", "postgres://u:hunter22@db/x")
    try:
        raise RuntimeError("token=hunter33 rejected")
    except RuntimeError:
        get_logger().exception("failed")
    text = stream.getvalue()
    for leak in ("abcdefghijkl123456", "sk-abc", "private question", "hunter22", "hunter33"):
        assert leak not in text
    first, second, third = _lines(stream)
    assert first["api_key"] == REDACTED
    assert first["prompt"] == CONTENT_PLACEHOLDER
    assert REDACTED in second["event"]
    assert "RuntimeError" in third["exception"]


def test_content_capture_on_keeps_prompts() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(capture_content=True), stream=stream)
    get_logger().info("llm", prompt="hello there")
    assert _lines(stream)[0]["prompt"] == "hello there"


def test_console_format_is_human_readable() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(format="console"), stream=stream)
    get_logger().info("hello", tenant="acme")
    text = stream.getvalue()
    assert "hello" in text
    assert "tenant=acme" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_reconfiguring_replaces_only_hexr_handler() -> None:
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)
    first, second = io.StringIO(), io.StringIO()
    configure_logging("agent", _config(), stream=first)
    configure_logging("agent", _config(), stream=second)
    get_logger().info("once")
    assert first.getvalue() == ""
    assert len(_lines(second)) == 1
    assert foreign in logging.getLogger().handlers


def test_reads_process_config_when_none_given(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Any) -> None:
    from hexr.config import get_observability_config

    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.setenv("HEXR_LOG_LEVEL", "ERROR")
    get_observability_config(reload=True)
    try:
        stream = io.StringIO()
        configure_logging("agent", stream=stream)
        get_logger().warning("dropped")
        get_logger().error("kept")
        assert [line["event"] for line in _lines(stream)] == ["kept"]
    finally:
        monkeypatch.delenv("HEXR_LOG_LEVEL")
        get_observability_config(reload=True)


def test_running_agent_labels_lines_without_binding() -> None:
    from hexr._agent import AgentInfo, _current

    stream = io.StringIO()
    configure_logging("agent", _config(), stream=stream)
    token = _current.set(AgentInfo(name="planner", tenant="globex", framework="none",
                                   role="main"))
    try:
        logging.getLogger("lib").info("inside the agent")
        with log_context(tenant="explicit"):
            get_logger().info("bound wins")
    finally:
        _current.reset(token)
    inside, bound = _lines(stream)
    assert (inside["tenant"], inside["agent"]) == ("globex", "planner")
    assert (bound["tenant"], bound["agent"]) == ("explicit", "planner")


def test_ensure_logging_configures_once() -> None:
    from hexr.logs import _setup as setup_module
    from hexr.logs import ensure_logging

    setup_module._configured = False
    ensure_logging("agent")
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "_hexr_handler", False)]
    assert len(handlers) == 1
    ensure_logging("other-component")
    again = [h for h in logging.getLogger().handlers if getattr(h, "_hexr_handler", False)]
    assert again == handlers


@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_client_library_request_lines_only_at_debug(level: str, shown: bool) -> None:
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    stream = io.StringIO()
    configure_logging("agent", _config(level=level), stream=stream)
    logging.getLogger("httpx").info("HTTP Request: POST http://llm/v1/chat/completions")
    logging.getLogger("httpx").warning("connection pool full")
    events = [line["event"] for line in _lines(stream)]
    assert ("HTTP Request: POST http://llm/v1/chat/completions" in events) is shown
    assert "connection pool full" in events


def test_a_library_level_set_by_the_application_is_kept() -> None:
    logging.getLogger("httpx").setLevel(logging.INFO)
    stream = io.StringIO()
    configure_logging("agent", _config(level="INFO"), stream=stream)
    logging.getLogger("httpx").info("wanted by the app")
    assert [line["event"] for line in _lines(stream)] == ["wanted by the app"]


def test_a_long_traceback_keeps_the_exception_that_escaped() -> None:
    stream = io.StringIO()
    configure_logging("agent", _config(), stream=stream)
    try:
        try:
            raise OSError("upstream body: " + "x" * 12_000)  # e.g. a provider's error page
        except OSError as cause:
            raise ValueError("the call failed") from cause
    except ValueError:
        logging.getLogger("hexr.test").exception("call failed")
        get_logger("hexr.test").exception("call failed")
    lines = _lines(stream)
    assert len(lines) == 2  # stdlib and structlog
    for line in lines:
        assert line["exception"].rstrip().endswith("ValueError: the call failed")
        assert len(line["exception"]) < 8192 + 100
