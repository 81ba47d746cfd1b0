"""The demo's orchestration: platform, configuration, agents, workflow, refusals, evidence."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hexr import env as _env
from hexr.config import set_dev_observe
from hexr.endpoints import default_home, published_env
from hexr.errors import HexrError
from hexr_demo._config import injector_current, injector_section, seed_vault, write_config
from hexr_demo._moto import LocalAws
from hexr_demo._procs import AgentProcess, run_agent_json
from hexr_demo._summary import Metric, SpanNode, query_metrics, span_tree
from hexr_demo.agents import BUCKET
from hexr_platform import Event, Platform, write_targets

__all__ = ["DemoOptions", "DemoResult", "hold_until_interrupted", "run_demo"]

ACME_AGENTS = ("researcher", "writer", "editor")
Step = Callable[[str, str], None]  # (step, detail); detail "" starts it, "done: ..." ends it


@dataclass(frozen=True)
class DemoOptions:
    """What ``hexr demo`` runs."""

    rounds: int = 1
    keep_running: bool = False
    timeout_s: float = 300.0


@dataclass
class DemoResult:
    """Everything the summary shows."""

    platform_started: bool = False
    rounds: list[dict[str, Any]] = field(default_factory=list)
    guard: dict[str, Any] = field(default_factory=dict)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    tree: list[SpanNode] = field(default_factory=list)
    trace_id: str = ""
    endpoints: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The result as plain data (``hexr demo --json``)."""
        return {**dataclasses.asdict(self), "completed": self.completed}

    @property
    def completed(self) -> bool:
        """Every round completed, the guard blocked, and every attempt was refused."""
        return (
            bool(self.rounds)
            and all(r.get("state") == "completed" for r in self.rounds)
            and self.guard.get("blocked") is True
            and len(self.attempts) == 4
            and all(a.get("refused") for a in self.attempts)
        )


def _platform_up(home: Path, step: Step) -> bool:
    """Bring the platform up; True when this call started anything."""
    set_dev_observe(home, True)  # the demo's agents export traces and metrics here

    def on_event(event: Event) -> None:
        step(f"platform: {event.component}", event.phase)

    result = Platform(home=home, on_event=on_event).up()
    problems = {**result.failed, **{name: "unhealthy" for name in result.unhealthy}}
    if problems:
        raise HexrError(f"the platform did not come up: {problems} (see hexr dev status)")
    return not result.noop


def _restart_injector(home: Path) -> None:
    """Stop the platform's injector and start it again, so it reads the new config."""
    platform = Platform(home=home)
    for status in platform.status():
        if status.name == "injector" and status.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(status.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(status.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
    result = platform.up(["injector"])
    if result.failed or result.unhealthy:
        raise HexrError(f"the injector did not restart: {result.failed or result.unhealthy}")


def _configure(home: Path, aws: LocalAws, env: dict[str, str], step: Step) -> None:
    llm = env.get(_env.HEXR_LLM_BASE_URL)
    if not llm:
        raise HexrError("the platform publishes no HEXR_LLM_BASE_URL (is the fake LLM up?)")
    section = injector_section(aws.url, llm)
    write_config(home / "demo" / "hexr.yaml", section)
    if not injector_current(home, section):
        step("injector: grants and services", "restarting with the demo's config")
        _restart_injector(home)
    step("injector: grants and services", "done: aws_s3 (moto STS), research_api (vault key)")
    seed_vault(env[_env.HEXR_VAULT_ADDR])
    step("vault: tenants acme and globex", "done: seeded")


def run_demo(
    options: DemoOptions,
    step: Step,
    *,
    home: Path | None = None,
    hold: Callable[[DemoResult], None] | None = None,
) -> DemoResult:
    """Run the demo end to end; the caller renders ``step`` events and the result.

    With ``keep_running``, ``hold(result)`` is called once the workflow is done and the
    agents are stopped only when it returns; the platform is left up.

    Raises:
        HexrError: the platform or an agent could not start.
    """
    began = time.monotonic()
    home = (home or default_home()).expanduser().resolve()
    result = DemoResult()
    step("platform", "")
    result.platform_started = _platform_up(home, step)
    step("platform", "done: started" if result.platform_started else "done: already running")
    run_dir = home / "demo"
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    aws = LocalAws(run_dir)
    agents: list[AgentProcess] = []
    targets: Path | None = None
    try:
        step("moto (AWS STS + S3)", "")
        aws.start()
        aws.create_bucket(BUCKET)
        step("moto (AWS STS + S3)", f"done: {aws.url}")
        published = published_env(home)
        _configure(home, aws, published, step)
        env = {**os.environ, _env.HEXR_HOME: str(home), "HEXR_DEMO_S3_URL": aws.url}
        step("acme agents + A2A sidecars", "")
        agents = [
            AgentProcess("acme", name, f"hexr_demo.agents:{name}", run_dir, env)
            for name in ACME_AGENTS
        ]
        urls = {agent.name: agent.wait_url() for agent in agents}
        # The sidecars serve /metrics; Prometheus scrapes them through a file_sd group.
        targets = write_targets(home, "hexr-demo-agents",
                                [f"127.0.0.1:{agent.metrics_port}" for agent in agents])
        step("acme agents + A2A sidecars", "done: " + ", ".join(ACME_AGENTS))
        step(f"workflow ({options.rounds} round(s))", "")
        workflow = run_agent_json(
            "acme", "coordinator",
            ["-m", "hexr_demo.workflow", "--rounds", str(options.rounds)],
            env, run_dir / "acme-coordinator.log", options.timeout_s,
        )
        result.rounds, result.guard = workflow["rounds"], workflow["guard"]
        ok = sum(1 for r in result.rounds if r.get("state") == "completed")
        step(f"workflow ({options.rounds} round(s))", f"done: {ok}/{len(result.rounds)} completed")
        step("globex intruder", "")
        intruder = run_agent_json(
            "globex", "intruder",
            ["-m", "hexr_demo.intruder", "--researcher-url", urls["researcher"]],
            env, run_dir / "globex-intruder.log", 120.0,
        )
        result.attempts = intruder["attempts"]
        refused = sum(1 for a in result.attempts if a.get("refused"))
        step("globex intruder", f"done: {refused}/{len(result.attempts)} refused")
        result.trace_id = next((r["trace_id"] for r in result.rounds if r.get("trace_id")), "")
        _evidence(result, published, step)
        result.endpoints = published
        result.wall_s = time.monotonic() - began
        if options.keep_running and hold is not None:
            hold(result)
    finally:
        for agent in agents:
            agent.stop()
        if targets is not None:
            targets.unlink(missing_ok=True)
        aws.stop()
        if result.platform_started and not options.keep_running:
            Platform(home=home).down()
    return result


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def hold_until_interrupted(_result: DemoResult) -> None:
    """Keep the agents and the local AWS (a thread of this process) up until Ctrl-C/SIGTERM."""
    # SIGTERM too (and SIGINT even where a shell started the demo with SIGINT ignored), so
    # the agents are always stopped on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


def _evidence(result: DemoResult, env: dict[str, str], step: Step) -> None:
    prometheus = env.get(_env.HEXR_PROMETHEUS_URL)
    traces = env.get(_env.HEXR_TRACES_URL)
    step("evidence: metrics and traces", "")
    if traces and result.trace_id:
        result.tree = span_tree(traces, result.trace_id)
    if prometheus:
        time.sleep(7.0)  # file_sd pick-up plus one scrape interval (5 s)
        result.metrics = query_metrics(prometheus)
    step("evidence: metrics and traces", "done")
