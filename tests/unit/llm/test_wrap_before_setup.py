"""A client wrapped at import, before telemetry setup, picks up the process settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fixtures.fakellm import FakeLLM

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json
import openai
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from hexr import hexr_llm

client = hexr_llm(openai.OpenAI(base_url="{base_url}", api_key="k", max_retries=0))

from hexr.telemetry import TelemetrySettings, setup

exporter = InMemorySpanExporter()
handle = setup(TelemetrySettings.from_env(agent_name="early", tenant="acme",
               spiffe_id="spiffe://hexr.local/agent/acme/early/main",
               span_exporter_factory=lambda s: exporter, batch=False))
client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}])
(span,) = exporter.get_finished_spans()
calls = handle.registry.get_sample_value("hexr_llm_calls_total", {{
    "gen_ai_system": "openai", "gen_ai_request_model": "m", "agent_name": "early",
    "tenant": "acme", "otel_scope_name": "hexr", "otel_scope_version": "0.1.0",
    "otel_scope_schema_url": ""}})
print(json.dumps({{"prompt": "gen_ai.prompt" in span.attributes,
                   "spiffe": span.attributes["hexr.spiffe_id"], "calls": calls}}))
"""


def test_settings_apply_to_a_client_wrapped_before_setup(fake_llm: FakeLLM) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "HEXR_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "sdk"), str(ROOT)]),
        HEXR_HOME=str(ROOT / ".pytest_cache" / "no-platform"),
        HEXR_CAPTURE_CONTENT="true",
        HEXR_LOG_LEVEL="WARNING",
    )
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT.format(base_url=fake_llm.base_url))],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {
        "prompt": True,
        "spiffe": "spiffe://hexr.local/agent/acme/early/main",
        "calls": 1.0,
    }
