"""Apply rendered manifests with ``kubectl apply --server-side`` (the current context)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

import yaml

from hexr.errors import HexrError

__all__ = ["ApplyError", "apply", "to_yaml"]

_TIMEOUT_S = 120
FIELD_MANAGER = "hexr"


class ApplyError(HexrError):
    """kubectl is missing, has no context, or refused the manifests."""


def to_yaml(manifests: Sequence[dict[str, Any]]) -> str:
    """Manifests as one multi-document YAML stream."""
    return yaml.safe_dump_all(manifests, sort_keys=False, default_flow_style=False)


def apply(manifests: Sequence[dict[str, Any]], kubectl: str = "kubectl") -> str:
    """Server-side apply ``manifests``; returns kubectl's output.

    Raises:
        ApplyError: kubectl is not installed, has no current context, fails or times out.
    """
    binary = shutil.which(kubectl)
    if binary is None:
        raise ApplyError(f"{kubectl} not found on PATH (use --dry-run to print the manifests)")
    context = subprocess.run(  # noqa: S603 - fixed argv
        [binary, "config", "current-context"],
        capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
    )
    if context.returncode != 0:
        raise ApplyError("kubectl has no current context (use --dry-run to print the manifests)")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv
            [binary, "apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"],
            input=to_yaml(manifests), capture_output=True, text=True,
            timeout=_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        raise ApplyError(f"kubectl apply did not finish within {_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise ApplyError(f"kubectl apply failed: {done.stderr.strip()[:2000]}")
    return done.stdout
