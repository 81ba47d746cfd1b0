"""Short-lived credentials for tools: `hexr_tool` and the three-tier credential chain.

L1 in-process (µs), L2 sealed in Valkey and shared by an identity's pods, L3 an exchange
of the workload's JWT-SVID at the credential injector. See the README section
"Credentials" for configuration.
"""

from hexr.credentials._model import CacheKey, Credential, Lookup, injector_audience
from hexr.credentials._tool import ahexr_tool, default_broker, hexr_tool, set_default_broker

__all__ = [
    "CacheKey",
    "Credential",
    "Lookup",
    "ahexr_tool",
    "default_broker",
    "hexr_tool",
    "injector_audience",
    "set_default_broker",
]
