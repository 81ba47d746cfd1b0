"""A compiled Rego policy answering one boolean decision, deny by default."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import regopy

from hexr.errors import ConfigError

__all__ = ["PolicyEngine", "PolicyError"]

_BINDING = "decision"


class PolicyError(ConfigError):
    """A policy failed to load or compile."""


class PolicyEngine:
    """Evaluates one Rego rule (e.g. ``data.hexr.credentials.allow``) against an input.

    The policy is compiled once; each decision only sets the input and runs the bundle
    (~0.1 ms). Anything but a literal ``true`` (false, undefined, an evaluation error)
    is a denial. The query binds the rule to a variable because regopy reports a false
    result as undefined; results are read through ``Output.results`` because reading a
    binding or expression of an undefined result aborts the process.
    """

    def __init__(
        self,
        modules: Mapping[str, str],
        rule: str,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        if not rule.startswith("data."):
            raise PolicyError(f"policy rule must be a data reference, got {rule!r}")
        self._rule = rule
        self._lock = threading.Lock()
        self._interpreter = regopy.Interpreter()
        try:
            for name, source in modules.items():
                self._interpreter.add_module(name, source)
            if data:
                self._interpreter.add_data_json(json.dumps(data))
            self._bundle = self._interpreter.build(f"{_BINDING} := {rule}")
        except regopy.RegoError as exc:
            raise PolicyError(f"policy for {rule} does not compile: {exc}") from exc
        if not self._bundle.ok():
            raise PolicyError(f"policy for {rule} does not compile")

    @classmethod
    def from_files(
        cls, paths: Iterable[Path], rule: str, data: Mapping[str, Any] | None = None
    ) -> PolicyEngine:
        """Build an engine from ``.rego`` files."""
        try:
            modules = {path.name: path.read_text() for path in paths}
        except OSError as exc:
            raise PolicyError(f"cannot read policy: {exc}") from exc
        return cls(modules, rule, data)

    @property
    def rule(self) -> str:
        """The Rego rule this engine decides."""
        return self._rule

    def allows(self, request: Mapping[str, Any]) -> bool:
        """Whether the policy allows ``request``; errors and undefined results deny."""
        try:
            document = json.dumps(request)
        except (TypeError, ValueError):
            return False
        with self._lock:
            try:
                self._interpreter.set_input_term(document)
                output = self._interpreter.query_bundle(self._bundle)
            except regopy.RegoError:
                return False
            if not output.ok():
                return False
            # `results` converts to Python values; `binding()` on an undefined result
            # aborts the process (rule without a default), so it is never called.
            return any(result.bindings.get(_BINDING) is True for result in output.results)
