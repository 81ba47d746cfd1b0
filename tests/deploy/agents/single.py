"""The README's first agent, reduced: one agent, default role."""

from hexr import hexr_agent


@hexr_agent(name="analyst", tenant="acme")
def analyze(topic: str) -> str:
    return topic
