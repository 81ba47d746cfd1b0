"""``${ENV}`` interpolation of configuration strings.

Lets a file say ``Authorization: "Bearer ${OTLP_TOKEN}"`` so the secret lives in the
environment (or a Kubernetes Secret), never in the file. ``${VAR:-default}`` supplies a
default and ``$$`` is a literal dollar sign.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "interpolate"]

_PATTERN = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\{[^}]*\}?)")


class InterpolationError(ValueError):
    """A ``${...}`` reference is malformed or names an unset variable."""


def interpolate(value: str, environ: Mapping[str, str]) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in ``value`` with values from ``environ``.

    Raises:
        InterpolationError: a variable is unset (and has no default) or a reference is
            malformed. The message names the variable, never a value.
    """

    def _replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name is None:
            # Not quoted: a stray "${" is usually inside a secret value.
            raise InterpolationError("malformed ${...} reference (write $$ for a literal $)")
        found = environ.get(name)
        if found is not None:
            return found
        if default is not None:
            return default
        raise InterpolationError(f"environment variable {name} is not set")

    return _PATTERN.sub(_replace, value)
