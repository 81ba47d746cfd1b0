"""Start one component from its spec, wait until healthy, stop it: shared by all callers."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hexr import env as _env
from hexr_platform._process import ProcessRef, spawn_detached
from hexr_platform.component import ComponentContext, ComponentSpec
from hexr_platform.errors import ComponentStartError, NotInstalledError

__all__ = ["RunningComponent", "log_tail", "start_component"]

_POLL_S = 0.02
_TAIL_LINES = 20
_TAIL_BYTES = 16_384
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The OpenBao dev server prints its root token ("Root Token: ...") and unseal key; a crash
# report shows the log tail on a terminal, so anything that looks like a credential is
# masked: the SDK's log scrubber (bearer tokens, JWTs, VAULT_TOKEN=...), then these labels.
_SECRET = re.compile(r"(?i)\b(root token|token|secret|password|unseal key)(\s*[:=]\s*)\S+")


def log_tail(path: Path, lines: int = _TAIL_LINES) -> list[str]:
    """Last ``lines`` lines of a log file (bounded read), or [] when it does not exist."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            data = fh.read()
    except OSError:
        return []
    # Imported here: only crash reports need it, and it pulls in the logging stack.
    from hexr.redact import scrub_text

    # Colour codes some binaries write even to files would garble a terminal table.
    text = _ANSI.sub("", data.decode("utf-8", "replace"))
    return [
        _SECRET.sub(r"\1\2[redacted]", scrub_text(line)) for line in text.splitlines()[-lines:]
    ]


def _mark_start(ctx: ComponentContext) -> None:
    # The log is appended across down/up: a marker tells one start's lines from the last.
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    fd = os.open(ctx.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as log:
        log.write(f"==> hexr: {ctx.name} starting at {stamp}\n")


def _make_dirs(ctx: ComponentContext) -> None:
    ctx.home.mkdir(parents=True, exist_ok=True)
    for directory, mode in (
        (ctx.data_dir, 0o700),
        (ctx.log_path.parent, 0o700),
        # Traversable (not listable) by agents run under their own uid: the Workload API
        # socket lives below it; nothing secret does.
        (ctx.run_dir, 0o711),
        (ctx.secrets_dir, 0o700),
    ):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(mode)


@dataclass
class RunningComponent:
    """A started component: its spec, context and verified process reference."""

    spec: ComponentSpec
    ctx: ComponentContext
    process: ProcessRef
    started_at: float
    _popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """Component name."""
        return self.spec.name

    @property
    def pid(self) -> int:
        """Process id of the component (leader of its own process group)."""
        return self.process.pid

    @property
    def address(self) -> str:
        """Address shown to operators (URL or socket path)."""
        return self.spec.address(self.ctx)

    @property
    def env(self) -> dict[str, str]:
        """Env variables this component publishes to agents."""
        return self.spec.publish(self.ctx)

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.alive()

    def healthy(self) -> bool:
        """Whether the process runs and passes its health check."""
        return self.alive() and self.spec.health(self.ctx)

    def log_tail(self, lines: int = _TAIL_LINES) -> list[str]:
        """Last lines of the component's log."""
        return log_tail(self.ctx.log_path, lines)

    def wait_healthy(self, timeout_s: float | None = None) -> None:
        """Poll the health check until it passes.

        Raises:
            ComponentStartError: The process exited or the timeout passed; the message
                carries the log tail.
        """
        deadline = time.monotonic() + (timeout_s or self.spec.start_timeout_s)
        while True:
            if not self.alive():
                raise ComponentStartError(self._failure("exited during start"))
            if self.spec.health(self.ctx):
                return
            if time.monotonic() > deadline:
                raise ComponentStartError(self._failure("did not become healthy in time"))
            time.sleep(_POLL_S)

    def finish_start(self) -> None:
        """Run the spec's ``post_start`` hook; on failure stop the process.

        Raises:
            ComponentStartError: The hook failed (the process is stopped).
        """
        if self.spec.post_start is None:
            return
        try:
            self.spec.post_start(self.ctx)
        except Exception as exc:
            self.stop(grace_s=1.0)
            raise ComponentStartError(f"{self.name} post-start hook failed: {exc}") from exc

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop the process group (SIGTERM, then SIGKILL after ``grace_s``); idempotent."""
        self.process.stop(grace_s)
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=1)

    def _failure(self, what: str) -> str:
        tail = "\n".join(f"    {line}" for line in self.log_tail())
        return f"{self.name} {what} (log: {self.ctx.log_path})" + (f"\n{tail}" if tail else "")


def start_component(
    spec: ComponentSpec,
    ctx: ComponentContext,
    *,
    extra_env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
    wait: bool = True,
    post_start: bool = True,
) -> RunningComponent:
    """Start ``spec`` detached in ``ctx`` and (by default) wait until it is healthy.

    Args:
        spec: The component to start.
        ctx: Its ports and directories.
        extra_env: Extra environment for the process (on top of the caller's).
        die_with_parent: Kill the process when the calling thread dies (test fixtures).
        wait: Wait for the health check.
        post_start: Also run the spec's ``post_start`` hook (needs ``wait``); a caller
            that must first wait for ``post_start_after`` calls `finish_start` itself.

    Returns:
        The running component.

    Raises:
        NotInstalledError: The binary is missing.
        ComponentStartError: It exited, never became healthy, or ``post_start`` failed;
            the process is stopped before this is raised.
    """
    executable = spec.locate()
    if executable is None:
        hint = f" — {spec.install_hint}" if spec.install_hint else ""
        raise NotInstalledError(f"{spec.name} is not installed{hint}")
    _make_dirs(ctx)
    if spec.prepare is not None:
        spec.prepare(ctx)
    env = dict(os.environ)
    env[_env.HEXR_HOME] = str(ctx.home)
    env.update(extra_env or {})
    env.update(spec.process_env(ctx))
    _mark_start(ctx)
    try:
        popen, ref = spawn_detached(
            spec.argv(ctx, executable),
            log_path=ctx.log_path,
            cwd=ctx.data_dir,
            env=env,
            die_with_parent=die_with_parent,
        )
    except OSError as exc:
        raise ComponentStartError(f"{spec.name} could not be executed: {exc}") from exc
    running = RunningComponent(spec, ctx, ref, time.time(), popen)
    if not wait:
        return running
    try:
        running.wait_healthy()
    except ComponentStartError:
        running.stop(grace_s=1.0)
        raise
    if post_start:
        running.finish_start()
    return running
