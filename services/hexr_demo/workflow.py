"""The acme coordinator: runs researcher → writer → editor over A2A, then the guard step.

Run as ``hexr dev run --tenant acme --agent coordinator -- python -m hexr_demo.workflow``;
prints one JSON object (rounds, latencies, the guard block) on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from hexr import hexr_agent, hexr_llm
from hexr.a2a import A2AClient
from hexr.errors import GuardBlocked, HexrError

# A fake AWS key id of AWS's documented example shape: the guard's Regex scanner fires.
_SECRET_PROMPT = "summarise: aws_access_key_id=AKIAIOSFODNN7EXAMPLE"  # noqa: S105 - fake


@hexr_agent(name="coordinator", tenant="acme")
def run_round(topic: str) -> dict[str, Any]:
    """One workflow run: the researcher starts the chain and returns the edited article."""
    from opentelemetry import trace

    began = time.perf_counter()
    trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
    with A2AClient(timeout=120.0) as a2a:
        result = a2a.send("researcher", topic)
    return {
        "state": result.state,
        "text": (result.text or "")[:200],
        "seconds": round(time.perf_counter() - began, 3),
        "trace_id": trace_id,
    }


@hexr_agent(name="coordinator", tenant="acme")
def guarded_prompt() -> dict[str, Any]:
    """Send a prompt carrying a secret with the guard on; it must never reach the LLM."""
    import openai

    import hexr.guard

    hexr.guard.enable()
    llm = hexr_llm(openai.OpenAI(base_url=os.environ["HEXR_LLM_BASE_URL"], api_key="local-fake"))
    try:
        llm.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": _SECRET_PROMPT}]
        )
    except GuardBlocked as exc:
        return {"blocked": True, "direction": exc.direction, "scanners": list(exc.scanners)}
    except HexrError as exc:
        return {"blocked": False, "error": type(exc).__name__}
    return {"blocked": False, "error": "the prompt reached the LLM"}


def main() -> None:
    """Run the rounds, then the guard step; print the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rounds = []
    for index in range(args.rounds):
        try:
            rounds.append(run_round(f"tidal energy, part {index + 1}"))
        except HexrError as exc:
            rounds.append({"state": "error", "text": f"{type(exc).__name__}: {exc}"[:300]})
    print(json.dumps({"rounds": rounds, "guard": guarded_prompt()}), flush=True)


if __name__ == "__main__":
    main()
