"""The local platform: start, supervise, report and stop the registered components."""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hexr.endpoints import default_home
from hexr_platform._component import RunningComponent, log_tail, start_component
from hexr_platform._discovery import components
from hexr_platform._ports import allocate_ports, configured_ports
from hexr_platform._prometheus import targets_dir, write_targets
from hexr_platform._state import ComponentRecord, PlatformState, locked, remove_state
from hexr_platform.component import ComponentContext, ComponentSpec
from hexr_platform.errors import PlatformError

__all__ = ["ComponentState", "ComponentStatus", "Event", "Platform", "UpResult"]


def spec_ordered(ports: Mapping[str, int], spec: ComponentSpec | None) -> dict[str, int]:
    """``ports`` in the order ``spec`` declares its roles, so the first is the main port.

    The state file stores ports as a JSON object with sorted keys; a context rebuilt from
    it in that order would take another role's port as the main one (the injector's
    Prometheus target became its mTLS port after a restart).
    """
    if spec is None:
        return dict(ports)
    ordered = {role: ports[role] for role in spec.ports if role in ports}
    ordered.update({role: port for role, port in ports.items() if role not in ordered})
    return ordered


class ComponentState(enum.StrEnum):
    """What ``status`` reports for a component."""

    HEALTHY = "healthy"
    STARTING = "starting"
    """A background component, alive and within its start timeout, not serving yet."""
    UNHEALTHY = "unhealthy"
    CRASHED = "crashed"
    STOPPED = "stopped"
    NOT_INSTALLED = "not installed"


def _booting(spec: ComponentSpec, started_at: float) -> bool:
    """A background component still within its start timeout (not serving is expected)."""
    return spec.background and time.time() - started_at < spec.start_timeout_s


@dataclass(frozen=True)
class ComponentStatus:
    """One row of ``hexr dev status``."""

    name: str
    state: ComponentState
    pid: int | None = None
    address: str = ""
    uptime_s: float | None = None
    log_path: str = ""
    log_tail: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Event:
    """Progress of ``up``: ``phase`` is starting, restarting, healthy, background (started,
    not waited for), running, unhealthy, failed or not-installed."""

    component: str
    phase: str
    detail: str = ""


@dataclass
class UpResult:
    """Outcome of ``up``, by component name."""

    started: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)
    """Running (so left alone) but failing their health check."""
    not_installed: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every required component runs and is healthy."""
        return not (self.failed or self.unhealthy)

    @property
    def noop(self) -> bool:
        """True when everything was already running and nothing was started."""
        return not (self.started or self.restarted or self.failed or self.unhealthy) and bool(
            self.already_running
        )


class Platform:
    """The local platform in one state directory.

    Args:
        home: State directory (default ``$HEXR_HOME`` or the user's data dir).
        specs: Components (default: every registered ``hexr.components`` entry point).
        ports: Fixed ports, ``name`` or ``name.role`` to port (default ``HEXR_DEV_PORTS``).
        on_event: Progress callback for ``up`` (called from worker threads).
    """

    def __init__(
        self,
        home: Path | None = None,
        specs: Sequence[ComponentSpec] | None = None,
        ports: Mapping[str, int] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.home = (home or default_home()).expanduser().resolve()
        self.specs = list(components() if specs is None else specs)
        self._ports = dict(configured_ports() if ports is None else ports)
        self._on_event = on_event or (lambda _event: None)
        names = [spec.name for spec in self.specs]
        if len(set(names)) != len(names):
            raise PlatformError(f"duplicate component names in {names}")
        _check_acyclic(self.specs)

    # --- up ---------------------------------------------------------------------

    def up(self, components: Sequence[str] | None = None) -> UpResult:
        """Start every (or the named) component not already running; restart crashed ones.

        Raises:
            PlatformError: Unknown component name, or the platform lock is held.
        """
        began = time.monotonic()
        selected = self._select(components)
        result = UpResult()
        with locked(self.home):
            state = PlatformState.load(self.home)
            plan = self._plan(selected, state, result)
            contexts = self._contexts(state, plan)
            self._start_all(plan, contexts, state, result)
            state.env = self._published(state, contexts)
            state.save(self.home)
        result.elapsed_s = time.monotonic() - began
        return result

    def _select(self, components: Sequence[str] | None) -> list[ComponentSpec]:
        if components is None:
            return list(self.specs)
        by_name = {spec.name: spec for spec in self.specs}
        unknown = [name for name in components if name not in by_name]
        if unknown:
            raise PlatformError(f"unknown component(s): {', '.join(unknown)}")
        # Dependencies come along: `up -c openbao` also starts what openbao needs.
        wanted: set[str] = set()
        pending = list(components)
        while pending:
            name = pending.pop()
            if name in wanted:
                continue
            wanted.add(name)
            spec = by_name[name]
            pending.extend(d for d in (*spec.depends_on, *spec.post_start_after) if d in by_name)
        return [spec for spec in self.specs if spec.name in wanted]

    def _plan(
        self, selected: list[ComponentSpec], state: PlatformState, result: UpResult
    ) -> dict[str, tuple[ComponentSpec, bool]]:
        """Components to start, with whether each is a restart of a crashed one."""
        plan: dict[str, tuple[ComponentSpec, bool]] = {}
        for spec in selected:
            record = state.components.get(spec.name)
            if record is not None and record.process.alive():
                result.already_running.append(spec.name)
                ctx = ComponentContext(spec.name, spec_ordered(record.ports, spec), self.home, {})
                if spec.health(ctx) or _booting(spec, record.started_at):
                    self._on_event(Event(spec.name, "running", record.address))
                else:  # alive but failing its check: say so, never kill it silently
                    result.unhealthy.append(spec.name)
                    self._on_event(Event(spec.name, "unhealthy", record.address))
                continue
            if spec.locate() is None:
                if record is not None:
                    del state.components[spec.name]
                hint = spec.install_hint or "binary not found"
                if spec.optional:
                    result.not_installed[spec.name] = hint
                    self._on_event(Event(spec.name, "not-installed", hint))
                else:
                    result.failed[spec.name] = f"not installed — {hint}"
                    self._on_event(Event(spec.name, "failed", f"not installed — {hint}"))
                continue
            plan[spec.name] = (spec, record is not None)
        return plan

    def _contexts(
        self, state: PlatformState, plan: dict[str, tuple[ComponentSpec, bool]]
    ) -> dict[str, ComponentContext]:
        """Contexts of every running or planned component, sharing one peers map."""
        peers: dict[str, ComponentContext] = {}
        fresh = [
            (name, spec.ports)
            for name, (spec, restart) in plan.items()
            if not restart or name not in state.components
        ]
        new_ports = allocate_ports(fresh, self._ports)
        specs = {spec.name: spec for spec in self.specs}
        for name, record in state.components.items():
            ports = spec_ordered(record.ports, specs.get(name))
            peers[name] = ComponentContext(name, ports, self.home, peers)
        for name in plan:
            if name in new_ports:
                peers[name] = ComponentContext(name, new_ports[name], self.home, peers)
        return peers

    def _start_all(
        self,
        plan: dict[str, tuple[ComponentSpec, bool]],
        contexts: dict[str, ComponentContext],
        state: PlatformState,
        result: UpResult,
    ) -> None:
        """Start planned components in parallel, each once its dependencies are healthy."""
        done = {name: threading.Event() for name in plan}
        healthy: set[str] = set(result.already_running) - set(result.unhealthy)
        guard = threading.Lock()

        def wait_for(deps: tuple[str, ...]) -> None:
            for dep in deps:
                if dep in done:
                    done[dep].wait()
                if dep not in healthy:
                    raise PlatformError(f"dependency {dep} is not running")

        def start(name: str) -> RunningComponent:
            spec, restart = plan[name]
            wait_for(spec.depends_on)
            self._on_event(Event(name, "restarting" if restart else "starting"))
            running = start_component(
                spec, contexts[name], post_start=False, wait=not spec.background
            )
            if spec.background:
                return running
            try:
                wait_for(spec.post_start_after)
            except PlatformError:
                running.stop(grace_s=1.0)
                raise
            running.finish_start()
            return running

        def run(name: str) -> None:
            try:
                running = start(name)
                with guard:
                    state.components[name] = _record(running)
                    healthy.add(name)
                    (result.restarted if plan[name][1] else result.started).append(name)
                    state.save(self.home)  # if `up` itself dies, `down` can still stop it
                metrics_path = plan[name][0].metrics_path
                if metrics_path is not None:  # the local Prometheus picks this file up
                    # A "metrics" port role, if any (e.g. OpenBao's metrics listener).
                    port = running.ctx.ports.get("metrics", running.ctx.port)
                    write_targets(self.home, name, [f"{running.ctx.host}:{port}"], metrics_path)
                phase = "background" if plan[name][0].background else "healthy"
                self._on_event(Event(name, phase, running.address))
            except Exception as exc:  # noqa: BLE001 - one component's failure (or a bug in
                # its spec) is reported and must never leave its dependants waiting forever
                message = str(exc) if isinstance(exc, PlatformError) else f"{name}: {exc!r}"
                with guard:
                    result.failed[name] = message
                self._on_event(Event(name, "failed", message))
            finally:
                done[name].set()

        if not plan:
            return
        with ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="hexr-up") as pool:
            for future in [pool.submit(run, name) for name in plan]:
                future.result()

    def _published(
        self, state: PlatformState, contexts: Mapping[str, ComponentContext]
    ) -> dict[str, str]:
        env: dict[str, str] = {}
        for spec in self.specs:
            if spec.name in state.components and spec.name in contexts:
                env.update(spec.publish(contexts[spec.name]))
        return env

    # --- status -----------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        """State of every registered (and every recorded) component, health-checked."""
        state = PlatformState.load(self.home)
        specs = {spec.name: spec for spec in self.specs}
        names = list(specs) + [name for name in state.components if name not in specs]
        peers: dict[str, ComponentContext] = {}
        for name, record in state.components.items():
            ports = spec_ordered(record.ports, specs.get(name))
            peers[name] = ComponentContext(name, ports, self.home, peers)
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            return list(pool.map(lambda n: self._status_of(n, specs.get(n), state, peers), names))

    def _status_of(
        self,
        name: str,
        spec: ComponentSpec | None,
        state: PlatformState,
        peers: Mapping[str, ComponentContext],
    ) -> ComponentStatus:
        record = state.components.get(name)
        if record is None:
            if spec is not None and spec.locate() is None:
                return ComponentStatus(
                    name, ComponentState.NOT_INSTALLED, hint=spec.install_hint
                )
            return ComponentStatus(name, ComponentState.STOPPED)
        if not record.process.alive():
            return ComponentStatus(
                name,
                ComponentState.CRASHED,
                pid=record.pid,
                address=record.address,
                log_path=record.log,
                log_tail=tuple(log_tail(Path(record.log))),
            )
        ok = spec is not None and spec.health(peers[name])
        if ok:
            state_now = ComponentState.HEALTHY
        elif spec is not None and _booting(spec, record.started_at):
            state_now = ComponentState.STARTING
        else:
            state_now = ComponentState.UNHEALTHY
        return ComponentStatus(
            name,
            state_now,
            pid=record.pid,
            address=record.address,
            log_path=record.log,
            uptime_s=max(0.0, time.time() - record.started_at),
        )

    def heal(self) -> UpResult | None:
        """Restart crashed components (with their ports); None when nothing had crashed."""
        crashed = [st.name for st in self.status() if st.state is ComponentState.CRASHED]
        known = {spec.name for spec in self.specs}
        crashed = [name for name in crashed if name in known]
        return self.up(crashed) if crashed else None

    # --- down -------------------------------------------------------------------

    def down(self, grace_s: float = 5.0) -> list[str]:
        """Stop every recorded component and remove run files; idempotent.

        Returns:
            Names of the components that were still running and got stopped.
        """
        with locked(self.home):
            state = PlatformState.load(self.home)
            records = state.components
            alive = [name for name, rec in records.items() if rec.process.alive()]
            if records:
                with ThreadPoolExecutor(max_workers=len(records)) as pool:
                    list(pool.map(lambda rec: rec.process.stop(grace_s), records.values()))
            for name in records:
                with contextlib.suppress(FileNotFoundError):
                    (targets_dir(self.home) / f"{name}.json").unlink()
            remove_state(self.home)
        return alive


def _check_acyclic(specs: Sequence[ComponentSpec]) -> None:
    """Reject dependency cycles, which would make ``up`` wait forever."""
    deps = {spec.name: (*spec.depends_on, *spec.post_start_after) for spec in specs}
    visiting: set[str] = set()
    finished: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in finished or name not in deps:
            return
        if name in visiting:
            raise PlatformError(f"dependency cycle: {' -> '.join((*path, name))}")
        visiting.add(name)
        for dep in deps[name]:
            visit(dep, (*path, name))
        visiting.discard(name)
        finished.add(name)

    for spec in specs:
        visit(spec.name, ())


def _record(running: RunningComponent) -> ComponentRecord:
    return ComponentRecord(
        pid=running.process.pid,
        start_time=running.process.start_time,
        ports=dict(running.ctx.ports),
        address=running.address,
        log=str(running.ctx.log_path),
        started_at=running.started_at,
    )
