"""The fake LLM as a component of the local platform, so a first agent needs no provider.

Deterministic and OpenAI/Anthropic-compatible (see `hexr_fakellm`); it publishes
``HEXR_LLM_BASE_URL`` (the OpenAI-style ``/v1`` base) for agents and the demo.
"""

from __future__ import annotations

from hexr import env as _env
from hexr_platform.component import ComponentSpec, extra_hint, http_ok, python_module

__all__ = ["fakellm_spec"]


def fakellm_spec() -> ComponentSpec:
    """The fake OpenAI/Anthropic-compatible LLM server on loopback."""
    return ComponentSpec(
        name="fake-llm",
        locate=python_module("hexr_fakellm", needs=("starlette", "uvicorn")),
        install_hint=extra_hint("server"),
        argv=lambda ctx, exe: [
            exe, "-m", "hexr_fakellm", "--host", ctx.host, "--port", str(ctx.port)
        ],
        health=http_ok("/v1/models"),
        publish=lambda ctx: {_env.HEXR_LLM_BASE_URL: f"http://{ctx.host}:{ctx.port}/v1"},
        order=85,
    )
