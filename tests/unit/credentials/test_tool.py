import json
from typing import Any

import pytest

from hexr import _env
from hexr.credentials import hexr_tool, set_default_broker
from hexr.errors import ConfigError


@pytest.mark.parametrize(
    ("service", "region"),
    [("", "us-east-1"), ("AWS_S3", "us-east-1"), ("aws_s3", "US EAST"), ("x" * 65, "r"),
     ("aws_s3", "r" * 33), ("aws_s3/../x", "r")],
)
def test_bad_names_are_config_errors_before_any_call(service: str, region: str) -> None:
    with pytest.raises(ConfigError):
        hexr_tool(service, region=region)


def test_no_injector_configured_is_a_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv(_env.HEXR_INJECTOR_URL, raising=False)
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))  # no local platform published there
    set_default_broker(None)
    with pytest.raises(ConfigError, match=_env.HEXR_INJECTOR_URL):
        hexr_tool("aws_s3")


def test_failure_chain_reaches_tool_spans_scrubbed(credential_spans: Any) -> None:
    from hexr.credentials._broker import CredentialBroker
    from hexr.credentials._exchange import InjectorClient
    from hexr.errors import CredentialError

    leaked = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWJ5dGVz"

    class LeakyIdentity:
        def jwt_svid(self, audience: str) -> str:
            # An identity source whose error quotes the token it could not refresh.
            raise RuntimeError(f"cannot refresh JWT-SVID {leaked}")

    broker = CredentialBroker(
        "spiffe://hexr.local/agent/acme/bot/main",
        InjectorClient("http://127.0.0.1:9", LeakyIdentity(), audience="spiffe://x/service/ci"),
    )
    with pytest.raises(CredentialError):
        hexr_tool("openai-leak-test", broker=broker)
    spans = [s for s in credential_spans.get_finished_spans()
             if s.name in ("hexr.tool.invoke", "hexr.cache.lookup")
             and (s.attributes or {}).get("hexr.spiffe_id") is not None]
    tool = [s for s in spans if (s.attributes or {}).get("service") == "openai-leak-test"]
    assert tool, "the tool span is recorded"
    lookups = [s for s in spans if s.name == "hexr.cache.lookup"
               and s.context.trace_id == tool[0].context.trace_id]
    assert lookups, "the L3 lookup span is recorded"
    for span in [*tool, *lookups]:
        events = [dict(e.attributes or {}) for e in span.events if e.name == "exception"]
        assert events, f"{span.name} keeps the exception event"
        assert "RuntimeError" in str(events[0]["exception.stacktrace"])
        dumped = json.dumps(events) + str(span.status.description)
        assert leaked not in dumped, span.name


def test_tool_span_status_is_scrubbed_when_a_client_library_error_escapes(
    credential_spans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from opentelemetry.trace import StatusCode

    from hexr.credentials import _clients
    from hexr.credentials._model import Credential, Lookup

    leaked = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWJ5dGVz"

    class CachedBroker:
        spiffe_id = "spiffe://hexr.local/agent/acme/bot/main"
        tenant = "acme"

        def lookup(self, service: str, region: str) -> Lookup:
            return Lookup(Credential("token", {"token": "t"}, time.time() + 3600), "L1")

    def broken_client(*args: Any, **kwargs: Any) -> Any:
        # A client library's own error, quoting the header it refused.
        raise ValueError(f"invalid header value 'Bearer {leaked}'")

    monkeypatch.setattr(_clients, "build_httpx_client", broken_client)
    with pytest.raises(ValueError, match="invalid header"):
        hexr_tool("leaky-api", broker=CachedBroker())  # type: ignore[arg-type]
    (span,) = [s for s in credential_spans.get_finished_spans()
               if s.name == "hexr.tool.invoke"
               and (s.attributes or {}).get("service") == "leaky-api"]
    assert span.status.status_code is StatusCode.ERROR
    assert leaked not in str(span.status.description)
