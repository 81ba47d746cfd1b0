"""The trusted launcher: register this process, then exec the workload in its place.

``exec`` keeps the pid and the process start time, so the entry registered for the launcher
is exactly the workload's; nothing runs in between that the workload could influence.
``python -m hexr_identity.launcher --registration-socket S --workload-socket W
--spiffe-id ID -- COMMAND...`` is the same path as ``hexr dev run``; `launcher_argv` builds
that command line and `spawn_workload` starts a child process through it (platform
components, sidecars, the demo and the test fixtures all start workloads this way).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from hexr import env as _env
from hexr.identity import SpiffeId
from hexr_identity.registration_client import register

__all__ = ["exec_workload", "launcher_argv", "main", "spawn_workload"]


def launcher_argv(
    spiffe_id: SpiffeId | str,
    argv: Sequence[str],
    *,
    registration_socket: str,
    workload_socket: str,
) -> list[str]:
    """The command line that runs ``argv`` as the registered workload ``spiffe_id``."""
    return [
        sys.executable, "-m", "hexr_identity.launcher",
        "--registration-socket", registration_socket,
        "--workload-socket", workload_socket,
        "--spiffe-id", str(spiffe_id),
        "--",
        *argv,
    ]


def spawn_workload(
    spiffe_id: SpiffeId | str,
    argv: Sequence[str],
    *,
    registration_socket: str,
    workload_socket: str,
    env: Mapping[str, str] | None = None,
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` as a child process attested as ``spiffe_id`` (see `launcher_argv`).

    The launcher registers the child's own pid, so the identity is the kernel's word about
    that process, never a claim the child makes. ``popen`` goes to `subprocess.Popen`.
    """
    return subprocess.Popen(  # noqa: S603 - the launcher with the caller's command
        launcher_argv(
            spiffe_id,
            argv,
            registration_socket=registration_socket,
            workload_socket=workload_socket,
        ),
        env=dict(os.environ if env is None else env),
        **popen,
    )


def exec_workload(
    spiffe_id: SpiffeId | str,
    argv: Sequence[str],
    *,
    registration_socket: str,
    workload_socket: str,
    env: Mapping[str, str] | None = None,
    uid: int | None = None,
) -> NoReturn:
    """Register the current process as ``spiffe_id`` and exec ``argv`` with the Workload API set.

    With ``uid`` (needs root) the entry also requires that uid, and the process drops to
    it (and the same gid, no supplementary groups) right before the exec: the workload
    cannot reach the owner-only registration socket, the secrets or other agents' files.

    Raises:
        IdentityError: the registration was refused (nothing is executed then).
        FileNotFoundError: the command does not exist (nothing was registered).
        OSError: the command could not be executed.
    """
    if not argv:
        raise ValueError("a command is required")
    child_env = dict(os.environ if env is None else env)
    # The workload has no business with the registration API: do not point it there.
    child_env.pop(_env.HEXR_IDENTITY_REGISTRATION_SOCKET, None)
    child_env[_env.SPIFFE_ENDPOINT_SOCKET] = (
        workload_socket if workload_socket.startswith("unix://") else f"unix://{workload_socket}"
    )
    # Resolve first: a command that cannot run must not leave this pid registered.
    executable = shutil.which(argv[0], path=child_env.get("PATH", os.defpath))
    if executable is None:
        raise FileNotFoundError(argv[0])
    register(registration_socket, spiffe_id, uid=uid)
    sys.stdout.flush()
    sys.stderr.flush()
    if uid is not None:
        os.umask(0o077)  # what the agent creates is its own, even in a shared directory
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.execve(executable, list(argv), child_env)  # noqa: S606 - running the user's command is the point


def main(argv: list[str] | None = None) -> int:
    """CLI entry: ``--registration-socket --workload-socket --spiffe-id -- COMMAND...``."""
    parser = argparse.ArgumentParser(prog="python -m hexr_identity.launcher")
    parser.add_argument("--registration-socket", required=True)
    parser.add_argument("--workload-socket", required=True)
    parser.add_argument("--spiffe-id", required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    command = [c for c in args.command]
    if command and command[0] == "--":
        command = command[1:]
    try:
        exec_workload(
            SpiffeId.parse(args.spiffe_id),
            command,
            registration_socket=args.registration_socket,
            workload_socket=args.workload_socket,
        )
    except Exception as err:  # noqa: BLE001 - a launcher reports, it does not trace
        print(f"hexr launcher: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
