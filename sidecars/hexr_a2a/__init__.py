"""The A2A sidecar: serves one agent's ``@serves_a2a`` function over A2A 1.0 (mTLS)."""

from hexr_a2a.app import Sidecar, build_policy, create_sidecar

__all__ = ["Sidecar", "build_policy", "create_sidecar"]
