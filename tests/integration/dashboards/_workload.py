"""A workload agent for the dashboard test: LLM calls, vault reads, tool credentials.

Run as a registered workload (``identity_service.spawn``) with the platform's endpoints
in its environment and ``HEXR_METRICS_PORT`` set; argv: the fake LLM's base URL. Prints
``ready`` after the work and serves ``/metrics`` until stdin closes.
"""

from __future__ import annotations

import contextlib
import sys

import openai

import hexr.vault
from hexr import hexr_agent, hexr_llm, hexr_tool
from hexr.errors import HexrError

llm = hexr_llm(openai.OpenAI(base_url=sys.argv[1], api_key="local-fake", max_retries=0))


@hexr_agent(name="analyst", tenant="acme")
def analyze(step: int) -> str:
    """One step: a secret, an LLM call, a tool credential (L3 once, then L1)."""
    hexr.vault.get("shared/db")
    reply = llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"step {step}"}]
    )
    hexr_tool("aws_s3", region="us-east-1")
    return reply.choices[0].message.content or ""


@hexr_agent(name="analyst", tenant="acme")
def fail() -> None:
    """A failing step: an ungranted service and a missing secret."""
    with contextlib.suppress(HexrError):
        hexr_tool("aws_sqs", region="us-east-1")
    hexr.vault.get("shared/missing")


for i in range(5):
    analyze(i)
with contextlib.suppress(HexrError):
    fail()
print("ready", flush=True)
sys.stdin.readline()
