"""A multi-role crew: three roles of one agent, a second agent, aliases and constants.

Never imported by the tests: `hexr build` reads it with ast only (importing it would fail
on the missing framework below, which proves it).
"""

import crewai_that_is_not_installed  # noqa: F401

import hexr
from hexr import hexr_agent as agent

TENANT = "acme"


class ResearchCrew:
    @agent(name="research-crew", tenant=TENANT, framework="crewai", role="planner")
    def plan(self, topic: str) -> str:
        return topic

    @agent("research-crew", TENANT, "crewai", "researcher")
    async def research(self, plan: str) -> str:
        return plan

    @hexr.hexr_agent(name="research-crew", tenant="acme", framework="crewai", role="writer")
    def write(self, notes: str) -> str:
        return notes


def summarize(text: str) -> str:
    return text[:100]


summarizer = agent(name="summarizer", tenant=TENANT)(summarize)
