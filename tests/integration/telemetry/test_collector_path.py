"""Telemetry through the real pipeline: agent process → rotel collector → OTLP receiver,
and a short-lived process's metrics → Prometheus Pushgateway."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.fixtures.fakellm import FakeLLM
from tests.fixtures.identity import IdentityServiceHandle
from tests.fixtures.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.fixtures.platform import CollectorHandle, ComponentHandle

ROOT = Path(__file__).resolve().parents[3]

AGENT = """
import openai
from hexr import hexr_agent, hexr_llm

client = hexr_llm(openai.OpenAI(base_url="{base_url}", api_key="sk-test", max_retries=0))

@hexr_agent(name="analyst", tenant="acme", framework="plain")
def analyze(topic):
    resp = client.chat.completions.create(
        model="fake-gpt", messages=[{{"role": "user", "content": topic}}]
    )
    return resp.choices[0].message.content

print(analyze("quarterly numbers"))
"""


def _agent_env(**env: str) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "HEXR_", "SPIFFE_"))
    }
    clean.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "sdk"), str(ROOT / "services"), str(ROOT)]),
        HEXR_HOME=str(ROOT / ".pytest_cache" / "no-platform"),
        **env,
    )
    return clean


def _run_agent(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = _agent_env(**env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean,
        check=False,
    )


def test_spans_reach_the_backend_through_the_collector(
    collector_factory: Callable[[list[str]], CollectorHandle],
    otlp_receiver: OtlpReceiver,
    fake_llm: FakeLLM,
    identity_service: IdentityServiceHandle,
) -> None:
    collector = collector_factory(
        ["--exporter", "otlp", "--otlp-exporter-endpoint", otlp_receiver.endpoint,
         "--otlp-exporter-protocol", "grpc"]
    )
    spiffe_id = str(identity_service.spiffe_id("acme", "analyst"))
    # A short-lived agent with an attested identity: all it recorded is flushed at exit.
    proc = identity_service.spawn(
        spiffe_id,
        [sys.executable, "-c", textwrap.dedent(AGENT.format(base_url=fake_llm.base_url))],
        env=_agent_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.otlp_grpc_endpoint,
            OTEL_SERVICE_NAME="analyst-svc",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-3000:]
    assert out.decode().strip() == "Hello from hexr-fakellm. You said: quarterly numbers"

    def both(spans: list[ReceivedSpan]) -> bool:
        return {s.span.name for s in spans} >= {"hexr.agent.invoke", "hexr.llm.chat"}

    spans = {s.span.name: s for s in otlp_receiver.wait_for(both)}
    agent, llm = spans["hexr.agent.invoke"], spans["hexr.llm.chat"]
    assert llm.span.trace_id == agent.span.trace_id
    assert llm.span.parent_span_id == agent.span.span_id
    assert agent.span.parent_span_id == b""
    assert agent.attributes == {
        "hexr.spiffe_id": spiffe_id,
        "tenant": "acme",
        "agent_name": "analyst",
        "framework": "plain",
        "status": "ok",
    }
    assert llm.attributes["gen_ai.system"] == "openai"
    assert llm.attributes["gen_ai.request.model"] == "fake-gpt"
    assert llm.attributes["gen_ai.usage.input_tokens"] == 2
    assert llm.attributes["gen_ai.usage.output_tokens"] == 7
    assert llm.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert llm.attributes["agent_name"] == "analyst"
    assert llm.attributes["hexr.spiffe_id"] == spiffe_id
    assert agent.resource["hexr.spiffe_id"] == spiffe_id
    assert agent.resource["service.name"] == "analyst-svc"
    assert agent.resource["agent_name"] == "analyst"
    assert agent.resource["tenant"] == "acme"
    assert agent.resource["hexr.role"] == "main"


def test_short_lived_process_pushes_metrics_on_exit(pushgateway_server: ComponentHandle) -> None:
    proc = _run_agent(
        """
        import os
        from hexr import hexr_agent

        @hexr_agent(name="batchjob", tenant="acme")
        def step(i):
            return i

        for i in range(3):
            step(i)
        print(os.getpid())
        """,
        HEXR_PUSHGATEWAY_URL=pushgateway_server.url,
        OTEL_TRACES_EXPORTER="none",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pid = proc.stdout.strip()
    body = httpx.get(f"{pushgateway_server.url}/metrics", timeout=5).text
    lines = [
        line
        for line in body.splitlines()
        if line.startswith("hexr_agent_invocations_total{") and f':{pid}"' in line
    ]
    ok = [line for line in lines if 'status="ok"' in line]
    assert len(ok) == 1, body[-3000:]
    assert 'agent="batchjob"' in ok[0]
    assert 'agent_name="batchjob"' in ok[0]
    assert 'job="hexr"' in ok[0]
    assert ok[0].endswith(" 3")


def test_exiting_process_deletes_stale_groups(pushgateway_server: ComponentHandle) -> None:
    code = """
        import os
        from hexr import hexr_agent

        @hexr_agent(name="cleaner", tenant="acme")
        def step():
            return 1

        step()
        print(os.getpid())
        """
    env = {"HEXR_PUSHGATEWAY_URL": pushgateway_server.url, "OTEL_TRACES_EXPORTER": "none"}
    first = _run_agent(code, **env)
    assert first.returncode == 0, first.stderr[-3000:]
    time.sleep(1.5)
    second = _run_agent(code, HEXR_PUSHGATEWAY_STALE_AFTER="1", **env)
    assert second.returncode == 0, second.stderr[-3000:]
    groups = httpx.get(f"{pushgateway_server.url}/api/v1/metrics", timeout=5).json()["data"]
    instances = {g["labels"].get("instance", "") for g in groups if g["labels"]["job"] == "hexr"}
    pids = {i.rsplit(":", 1)[-1] for i in instances}
    assert second.stdout.strip() in pids  # its own fresh group stays
    assert first.stdout.strip() not in pids  # the older one was deleted

