"""The demo's acme agents: researcher → writer → editor, each served by its A2A sidecar.

Each function runs inside its own sidecar process (``hexr dev run --a2a``), so everything
it calls onward (the vault, the credential injector, the LLM, the next agent) is done with
that agent's own attested identity.
"""

from __future__ import annotations

import os
from typing import Any

import hexr.vault
from hexr import hexr_agent, hexr_llm, hexr_tool
from hexr.a2a import A2AClient, A2AError, A2ARequest, Skill, TaskFailed, serves_a2a

BUCKET = "hexr-demo-acme"
MODEL = "gpt-4o-mini"


def _llm() -> Any:
    import openai

    return hexr_llm(openai.OpenAI(base_url=os.environ["HEXR_LLM_BASE_URL"], api_key="local-fake"))


def _s3() -> Any:
    # The demo's S3 is the local moto server; the credentials still come from STS.
    return hexr_tool("aws_s3", region="us-east-1", endpoint_url=os.environ["HEXR_DEMO_S3_URL"])


def _hand_over(target: str, text: str) -> str:
    """Send ``text`` to the next agent over A2A; its failure fails this task with a reason."""
    try:
        with A2AClient(timeout=60.0) as a2a:
            result = a2a.send(target, text[:2000])
    except A2AError as exc:
        raise TaskFailed(f"{target} unreachable: {exc}") from exc
    if result.state != "completed":
        raise TaskFailed(f"{target} answered {result.state}: {(result.text or '')[:200]}")
    return result.text or ""


def _ask(prompt: str) -> str:
    reply = _llm().chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}]
    )
    return str(reply.choices[0].message.content or "")


@serves_a2a("Researches a topic",
            skills=[Skill(id="research", name="Research", description="Notes")])
@hexr_agent(name="researcher", tenant="acme")
def researcher(request: A2ARequest) -> str:
    """Read the tenant's secret, use the vault-backed API key, ask the LLM, hand to the writer."""
    secret = hexr.vault.get("shared/research")
    with hexr_tool("research_api") as api:  # httpx client, key injected from the vault
        models = api.get("/models").json().get("data", [])
    fields = sorted(secret.keys())
    notes = _ask(f"notes on {request.text} (sources: {len(models)} models, {fields})")
    return _hand_over("writer", notes)


@serves_a2a("Writes a draft", skills=[Skill(id="write", name="Write", description="Draft")])
@hexr_agent(name="writer", tenant="acme")
def writer(request: A2ARequest) -> str:
    """Stream a draft from the LLM, store it in S3, ask the editor to polish it."""
    stream = _llm().chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": f"draft: {request.text}"}], stream=True
    )
    text = "".join(
        chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
    )
    key = f"drafts/{request.task_id}.txt"
    _s3().put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    return _hand_over("editor", key)


@serves_a2a("Edits a draft", skills=[Skill(id="edit", name="Edit", description="Polish")])
@hexr_agent(name="editor", tenant="acme")
def editor(request: A2ARequest) -> str:
    """Read the draft back from S3, count its words in the sandbox, have the LLM polish it."""
    import hexr.sandbox

    body = _s3().get_object(Bucket=BUCKET, Key=request.text)
    draft = body["Body"].read().decode()
    # Untrusted-code stand-in: no network, no SVID, no Hexr state, its own uid.
    counted = hexr.sandbox.exec(
        "print(len(open('draft.txt').read().split()))", files={"draft.txt": draft}, timeout=10
    )
    words = counted.stdout.strip() if counted.exit_code == 0 else f"sandbox: {counted.limit}"
    return f"{_ask(f'edit: {draft[:2000]}')} [words: {words}]"
