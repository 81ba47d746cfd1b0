"""The A2A sidecar: serves one agent's ``@serves_a2a`` function over A2A 1.0 (mTLS)."""

import os

# a2a-sdk traces its own internals (~57 spans per message) whenever OpenTelemetry is
# installed; the sidecar emits the spans that matter (hexr.a2a.bridge.execute, the agent's
# spans), so the library's are off unless the operator asks for them. Set before a2a loads.
os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")

from hexr_a2a.app import Sidecar, build_policy, create_sidecar

__all__ = ["Sidecar", "build_policy", "create_sidecar"]
