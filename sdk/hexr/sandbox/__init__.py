"""``hexr.sandbox``: run untrusted code in a separate, limited process without network.

``hexr.sandbox.exec(code, language="python", timeout=10)`` returns a `SandboxResult` with
the exit code, output and the limit that fired. See docs/sandbox.md for the isolation it
gives (and what it needs: root for namespaces and a private uid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from time import perf_counter

from hexr.context import current_agent
from hexr.errors import SandboxError
from hexr.sandbox._exec import SandboxResult, run_sandboxed
from hexr.telemetry import _names as n
from hexr.telemetry import current_handle, get_meter, get_tracer

__all__ = ["SandboxError", "SandboxResult", "exec"]

# Exported classes present the package as their module (docs, reprs, pickling).
for _name in ("SandboxError", "SandboxResult"):
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__
del _name, _value

_METER = get_meter()
_EXECUTIONS = _METER.create_counter(
    n.METRIC_SANDBOX_EXECUTIONS, unit="{execution}", description="Sandbox runs by limit."
)
_DURATION = _METER.create_histogram(
    n.METRIC_SANDBOX_DURATION, unit="s", description="Sandbox start-to-exit time."
)


def exec(
    code: str,
    language: str = "python",
    *,
    timeout: float = 10.0,
    cpu_time: float | None = None,
    memory: int = 256 * 1024 * 1024,
    processes: int = 16,
    max_output: int = 1024 * 1024,
    files: Mapping[str, str | bytes] | None = None,
    env_vars: Mapping[str, str] | None = None,
    packages: Sequence[str] = (),
    wheelhouse: str | None = None,
) -> SandboxResult:
    """Run ``code`` in a sandbox and report what happened (never raises for the code's faults).

    Args:
        code: Python source or a bash script.
        language: ``python`` or ``bash``.
        timeout: Wall-clock seconds before the run is killed.
        cpu_time: CPU seconds (``RLIMIT_CPU``); defaults to ``timeout``.
        memory: Address-space bytes per process (``RLIMIT_AS``).
        processes: Processes at once (``RLIMIT_NPROC`` on a private uid; reaching it stops the run).
        max_output: Bytes of stdout + stderr kept; more stops the run.
        files: Extra files written into the working directory (plain names).
        env_vars: The only variables added to the minimal environment.
        packages: Requirements installed from the offline wheelhouse only.
        wheelhouse: Directory of wheels (default ``HEXR_SANDBOX_WHEELHOUSE``).

    Raises:
        SandboxError: Invalid arguments, or the sandbox could not be set up.
    """
    tracer = get_tracer()
    tenant, agent = _who()
    started = perf_counter()
    with tracer.start_as_current_span(
        n.SPAN_SANDBOX_EXEC,
        attributes={
            n.ATTR_SANDBOX_LANGUAGE: language,
            n.ATTR_SANDBOX_TIMEOUT: float(timeout),
            n.ATTR_TENANT: tenant,
            n.ATTR_AGENT_NAME: agent,
        },
    ) as span:
        result = run_sandboxed(
            code,
            language=language,
            timeout=timeout,
            cpu_time=cpu_time,
            memory=memory,
            processes=processes,
            max_output=max_output,
            files=files or {},
            env_vars=env_vars or {},
            packages=packages,
            wheelhouse=wheelhouse,
        )
        span.set_attributes(
            {
                n.ATTR_SANDBOX_EXIT_CODE: result.exit_code if result.exit_code is not None else -1,
                n.ATTR_SANDBOX_LIMIT: result.limit,
                n.ATTR_SANDBOX_NETWORK_ISOLATED: result.network_isolated,
            }
        )
    labels = {n.ATTR_TENANT: tenant, n.ATTR_AGENT_NAME: agent, n.ATTR_SANDBOX_LANGUAGE: language}
    _EXECUTIONS.add(1, {**labels, n.ATTR_SANDBOX_LIMIT: result.limit})
    _DURATION.record(perf_counter() - started, labels)
    return result


def _who() -> tuple[str, str]:
    agent = current_agent()
    if agent is not None:
        return agent.tenant, agent.name
    handle = current_handle()
    if handle is not None:
        return handle.settings.tenant or "", handle.settings.agent_name or ""
    return "", ""
