"""The sidecar's metrics (names in ``hexr.telemetry`` terms; see the metric contract).

Labels are bounded: tenant and agent names, states, method names, error codes — never a
task id, message content or URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from time import perf_counter

from hexr.telemetry import get_meter
from hexr.telemetry import names as n

__all__ = ["SidecarMetrics"]


class SidecarMetrics:
    """Instruments of one sidecar, labelled with its tenant and agent."""

    def __init__(self, tenant: str, agent: str) -> None:
        meter = get_meter()
        self.tenant = tenant
        self.agent = agent
        self._base = {"tenant": tenant, "agent_name": agent}
        self._transitions = meter.create_counter(n.METRIC_A2A_TASK_TRANSITIONS)
        self._messages = meter.create_counter(n.METRIC_A2A_MESSAGES)
        self._duration = meter.create_histogram(n.METRIC_A2A_TASK_DURATION, unit="s")
        self._sse = meter.create_up_down_counter(n.METRIC_A2A_SSE_CONNECTIONS)
        self._store_ops = meter.create_counter(n.METRIC_A2A_STORE_OPERATIONS)
        self._store_duration = meter.create_histogram(
            n.METRIC_A2A_STORE_OPERATION_DURATION, unit="s"
        )
        self._task_errors = meter.create_counter(n.METRIC_A2A_TASK_ERRORS)
        self._push = meter.create_counter(n.METRIC_A2A_PUSH_DELIVERIES)
        self._cross_tenant = meter.create_counter(n.METRIC_A2A_CROSS_TENANT_CALLS)
        self._requests = meter.create_counter(n.METRIC_A2A_REQUESTS)
        self._bridge = meter.create_counter(n.METRIC_A2A_BRIDGE_EXECUTIONS)

    def transition(self, state: str) -> None:
        """A task entered ``state``."""
        self._transitions.add(1, {**self._base, "state": state})

    def task_duration(self, state: str, seconds: float) -> None:
        """A task reached terminal ``state`` after ``seconds``."""
        self._duration.record(seconds, {**self._base, "state": state})

    def task_error(self, from_state: str, to_state: str) -> None:
        """An invalid or failed transition."""
        self._task_errors.add(1, {**self._base, "from_state": from_state, "to_state": to_state})

    def message(self, source_agent: str) -> None:
        """A message from ``source_agent`` to this agent."""
        self._messages.add(
            1, {"tenant": self.tenant, "source_agent": source_agent, "target_agent": self.agent}
        )

    def sse(self, delta: int) -> None:
        """An SSE stream opened (+1) or closed (-1)."""
        self._sse.add(delta, self._base)

    def request(self, method: str, code: str) -> None:
        """One protocol request and its outcome (``ok`` or the error code)."""
        self._requests.add(1, {**self._base, "method": method, "code": code})

    def cross_tenant(self, source_tenant: str, decision: str) -> None:
        """A call from another tenant, allowed or denied."""
        self._cross_tenant.add(
            1, {"source_tenant": source_tenant, "target_tenant": self.tenant, "decision": decision}
        )

    def bridge(self, source_agent: str, status: str) -> None:
        """One execution of the agent function."""
        self._bridge.add(1, {**self._base, "source_agent": source_agent, "status": status})

    def push(self, result: str) -> None:
        """One push delivery attempt's result."""
        self._push.add(1, {**self._base, "result": result})

    @contextlib.contextmanager
    def store_op(self, op: str) -> Iterator[Callable[[], None]]:
        """Time a store operation; call the yielded function when it succeeded."""
        done = False

        def ok() -> None:
            nonlocal done
            done = True

        started = perf_counter()
        try:
            yield ok
        finally:
            labels = {**self._base, "op": op}
            self._store_duration.record(perf_counter() - started, labels)
            self._store_ops.add(1, {**labels, "result": "ok" if done else "error"})
