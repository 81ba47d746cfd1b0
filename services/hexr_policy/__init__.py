"""Rego policy decisions, evaluated in-process (regopy); the same policies run in OPA."""

from hexr_policy._engine import PolicyEngine, PolicyError

__all__ = ["PolicyEngine", "PolicyError"]
