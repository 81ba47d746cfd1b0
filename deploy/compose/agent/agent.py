"""The compose sample agent: the README's first agent against the deterministic fake LLM."""

import time

import openai

from hexr import hexr_agent, hexr_llm

llm = hexr_llm(openai.OpenAI(base_url="http://fakellm:8089/v1", api_key="local-fake"))


@hexr_agent(name="analyst", tenant="acme")
def analyze(topic: str) -> str:
    """Ask the LLM about ``topic``."""
    reply = llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": topic}]
    )
    return reply.choices[0].message.content or ""


if __name__ == "__main__":
    while True:  # a long-lived agent: one call a minute, metrics served for Prometheus
        print(analyze("quarterly revenue"), flush=True)
        time.sleep(60)
