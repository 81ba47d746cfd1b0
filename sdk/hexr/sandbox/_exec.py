"""`exec`: run untrusted Python or bash in a separate, limited, isolated process.

The child starts from a fresh temporary directory with a minimal environment (``PATH``,
``HOME``, ``LANG``, ``TMPDIR`` and the caller's ``env_vars``; never ``HEXR_*``, cloud
variables or ``SPIFFE_ENDPOINT_SOCKET``), the system interpreter in isolated mode without
site-packages (``python3 -I -S``: the agent's packages are not importable; ``packages``
come only from an offline wheelhouse), the limits of `hexr.sandbox._isolation`, and is
never started through the identity launcher (it has no SVID). The parent enforces the wall
time and output limits, watches the process count, and kills every process of the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hexr import _env
from hexr.errors import SandboxError
from hexr.sandbox._isolation import (
    ChildLimits,
    child_setup,
    count_uid_processes,
    kill_uid,
    network_namespaces,
    pick_uid,
    secret_paths,
)

__all__ = ["Limit", "SandboxResult", "run_sandboxed"]

Limit = str
"""Which limit stopped the run: none, wall_time, cpu_time, memory, processes, output."""

_MEMORY_MARK = "hexr-sandbox: memory limit"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(==[A-Za-z0-9.+!-]{1,50})?$")
_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_MAX_CODE = 1_000_000
_MAX_FILES = 64
_MAX_FILE_BYTES = 10_000_000
_POLL_S = 0.02
_EXIT_GRACE_S = 0.2
_PYTHON_PRELUDE = """\
import sys
sys.path.insert(0, {packages!r})
sys.argv = ["main.py"]
try:
    with open("main.py", encoding="utf-8") as _f:
        _code = compile(_f.read(), "main.py", "exec")
    del _f
    exec(_code, {{"__name__": "__main__", "__file__": "main.py", "__builtins__": __builtins__}})
except MemoryError:
    sys.stderr.write("\\n{mark}\\n")
    sys.exit(137)
"""


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """What a sandboxed run did."""

    exit_code: int | None
    """Exit status (negative: killed by that signal); the process is always reaped."""
    stdout: str
    stderr: str
    limit: Limit
    """``none`` or the limit that stopped the run."""
    duration_s: float
    network_isolated: bool
    """True when the run had its own network namespace (no network); False: not available."""
    truncated: bool
    """Output beyond the output limit was dropped."""


def _python(uid: int | None) -> str:
    """The interpreter for sandboxed Python: one the sandbox's uid can execute.

    The agent's may live under a private home (pyenv in /root); the system one is
    world-readable, and the sandbox wants no packages of the agent anyway.
    """
    if uid is not None:
        for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
            if os.access(candidate, os.X_OK) and _world_executable(candidate):
                return candidate
    return getattr(sys, "_base_executable", None) or sys.executable


def _world_executable(path: str) -> bool:
    real = Path(os.path.realpath(path))
    if not os.stat(real).st_mode & 0o001:
        return False
    return all(os.stat(parent).st_mode & 0o001 for parent in real.parents)


def _validate(
    code: str,
    language: str,
    files: Mapping[str, str | bytes],
    env_vars: Mapping[str, str],
    packages: Sequence[str],
) -> None:
    if language not in ("python", "bash"):
        raise SandboxError("language must be 'python' or 'bash'")
    if len(code) > _MAX_CODE:
        raise SandboxError(f"code is longer than {_MAX_CODE} characters")
    if len(files) > _MAX_FILES:
        raise SandboxError(f"at most {_MAX_FILES} files")
    for name, content in files.items():
        if not _FILE.match(name) or name in ("main.py", "main.sh", "_hexr_run.py"):
            raise SandboxError(f"file name {name!r} is not allowed (plain names only)")
        if len(content) > _MAX_FILE_BYTES:
            raise SandboxError(f"file {name!r} is larger than {_MAX_FILE_BYTES} bytes")
    for key, value in env_vars.items():
        if not _NAME.match(key) or "\0" in value:
            raise SandboxError(f"environment variable name {key!r} is not allowed")
    for package in packages:
        if not _PACKAGE.match(package):
            raise SandboxError(f"package {package!r} is not a plain requirement")


def run_sandboxed(
    code: str,
    *,
    language: str,
    timeout: float,
    cpu_time: float | None,
    memory: int,
    processes: int,
    max_output: int,
    files: Mapping[str, str | bytes],
    env_vars: Mapping[str, str],
    packages: Sequence[str],
    wheelhouse: str | None,
) -> SandboxResult:
    """Run ``code``; see `hexr.sandbox.exec` for the arguments."""
    _validate(code, language, files, env_vars, packages)
    if timeout <= 0 or memory <= 0 or processes <= 0 or max_output <= 0:
        raise SandboxError("timeout, memory, processes and max_output must be positive")
    isolated = network_namespaces()
    uid = pick_uid()
    workdir = Path(tempfile.mkdtemp(prefix="hexr-sandbox-"))
    try:
        argv = _prepare(workdir, code, language, files, packages, wheelhouse, uid)
        if uid is not None:
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, uid, uid, follow_symlinks=False)
        # Without a private uid, NPROC counts the caller's own processes as well.
        nproc = processes if uid is not None else count_uid_processes(os.getuid()) + processes
        limits = ChildLimits(
            cpu_s=max(1, int(cpu_time if cpu_time is not None else timeout)),
            memory_bytes=memory,
            processes=nproc,
            file_bytes=max_output * 4 + 1_000_000,
            open_files=256,
            uid=uid,
            isolate_network=isolated,
            hide=secret_paths(workdir),
            workdir=str(workdir),
        )
        return _run(argv, workdir, env_vars, limits, timeout, max_output, uid, isolated)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _prepare(
    workdir: Path,
    code: str,
    language: str,
    files: Mapping[str, str | bytes],
    packages: Sequence[str],
    wheelhouse: str | None,
    uid: int | None,
) -> list[str]:
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (workdir / name).write_bytes(data)
    site = workdir / ".packages"
    if packages:
        _install(packages, site, wheelhouse)
    if language == "python":
        (workdir / "main.py").write_text(code, encoding="utf-8")
        prelude = _PYTHON_PRELUDE.format(packages=str(site), mark=_MEMORY_MARK)
        (workdir / "_hexr_run.py").write_text(prelude, encoding="utf-8")
        return [_python(uid), "-I", "-S", "_hexr_run.py"]
    (workdir / "main.sh").write_text(code, encoding="utf-8")
    bash = shutil.which("bash") or "/bin/bash"
    return [bash, "--noprofile", "--norc", "main.sh"]


def _install(packages: Sequence[str], target: Path, wheelhouse: str | None) -> None:
    """``pip install`` wheels only, from the wheelhouse only (no index, no builds)."""
    house = wheelhouse or os.environ.get(_env.HEXR_SANDBOX_WHEELHOUSE)
    if not house or not os.path.isdir(house):
        raise SandboxError("packages need a wheelhouse (HEXR_SANDBOX_WHEELHOUSE)")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--find-links",
        house,
        "--target",
        str(target),
        *packages,
    ]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PIP_NO_INPUT": "1"}
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=120, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SandboxError("packages could not be installed from the wheelhouse")


def _minimal_env(workdir: Path, env_vars: Mapping[str, str]) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **env_vars,
    }


def _run(
    argv: list[str],
    workdir: Path,
    env_vars: Mapping[str, str],
    limits: ChildLimits,
    timeout: float,
    max_output: int,
    uid: int | None,
    isolated: bool,
) -> SandboxResult:
    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv is ours; the code is the sandbox's input
            argv,
            cwd=workdir,
            env=_minimal_env(workdir, env_vars),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            preexec_fn=child_setup(limits),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"the sandbox could not start ({type(exc).__name__})") from None
    out = bytearray()
    err = bytearray()
    limit = "none"
    truncated = False
    selector = selectors.DefaultSelector()
    if proc.stdout is None or proc.stderr is None:  # pragma: no cover - PIPE was asked for
        raise SandboxError("the sandbox's output pipes are missing")
    for stream, buffer in ((proc.stdout, out), (proc.stderr, err)):
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ, buffer)
    open_streams = 2
    exited_at = 0.0
    deadline = started + timeout
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                limit = "wall_time"
                break
            for key, _ in selector.select(min(_POLL_S, remaining)):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                buffer = key.data
                room = max_output - len(out) - len(err)
                buffer.extend(data[: max(room, 0)])
                if len(data) > room:
                    truncated = True
                    limit = "output"
            if limit != "none":
                break
            if uid is not None and count_uid_processes(uid) >= limits.processes:
                limit = "processes"
                break
            if proc.poll() is not None:
                # The main process ended; a leftover child holding the pipes open gets a
                # short grace for its last output, then is killed with the rest.
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > _EXIT_GRACE_S:
                    break
        if limit == "none":
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                limit = "wall_time"
    finally:
        _stop(proc, uid)
        selector.close()
        proc.stdout.close()
        proc.stderr.close()
    code = proc.returncode
    stderr = err.decode("utf-8", "replace")
    if limit == "none":
        limit = _limit_from_exit(code, stderr)
    return SandboxResult(
        exit_code=code,
        stdout=out.decode("utf-8", "replace"),
        stderr=stderr,
        limit=limit,
        duration_s=time.monotonic() - started,
        network_isolated=isolated,
        truncated=truncated,
    )


def _limit_from_exit(code: int | None, stderr: str) -> Limit:
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        # SIGKILL that the parent did not send: the CPU hard limit (SIGXCPU was ignored).
        return "cpu_time"
    if _MEMORY_MARK in stderr or "Cannot allocate memory" in stderr or "MemoryError" in stderr:
        return "memory"
    if "Resource temporarily unavailable" in stderr and "fork" in stderr:
        return "processes"
    return "none"


def _stop(proc: subprocess.Popen[bytes], uid: int | None) -> None:
    """Kill the run: its process group, then (as root) every process of its uid."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    # Children that outlived the main process (daemonized, or another session) die too.
    if uid is not None and count_uid_processes(uid):
        kill_uid(uid)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
