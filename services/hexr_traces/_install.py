"""Where Phoenix' private virtual environment lives and how it is created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs

from hexr import env as _env

__all__ = ["PHOENIX_VERSION", "install_phoenix", "phoenix_executable", "venv_dir"]

PHOENIX_VERSION = "20.26.1"
"""Pinned: the CLI depends on its REST span API (``/v1/projects/{p}/spans``)."""


def venv_dir() -> Path:
    """``HEXR_PHOENIX_VENV``, else a per-version directory in the user cache.

    Shared by every ``HEXR_HOME``: the environment is ~860 MB and takes minutes to
    install, while each platform's data (the span database) stays in its own home.
    """
    explicit = os.environ.get(_env.HEXR_PHOENIX_VENV)
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_cache_dir("hexr")) / f"phoenix-{PHOENIX_VERSION}"


def phoenix_executable() -> str | None:
    """The ``phoenix`` console script of the private environment, or None."""
    path = venv_dir() / "bin" / "phoenix"
    return str(path) if os.access(path, os.X_OK) else None


def install_phoenix(python: str = sys.executable) -> Path:
    """Create the environment and install the pinned Phoenix into it (idempotent).

    Raises:
        subprocess.CalledProcessError: venv creation or pip failed.
    """
    target = venv_dir()
    if phoenix_executable() is not None:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(target)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [str(target / "bin" / "pip"), "install", "--quiet", f"arize-phoenix=={PHOENIX_VERSION}"],
        check=True,
    )
    return target
