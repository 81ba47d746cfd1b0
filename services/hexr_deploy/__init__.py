"""Multi-node deployment: ``hexr build`` (static analysis) and ``hexr deploy`` (manifests).

``build`` finds every ``@hexr_agent`` of a source file without importing it and writes one
process context per role; ``render`` turns them into the agent's Kubernetes workload
(sidecars, SPIFFE socket, ClusterSPIFFEIDs); ``apply`` server-side applies it.
"""

from hexr_deploy._analysis import AgentRole, BuildError, find_agents
from hexr_deploy._apply import ApplyError, apply, to_yaml
from hexr_deploy._context import SIDECAR_ROLES, ProcessContext, build, write_contexts
from hexr_deploy._manifests import DeploySettings, render
from hexr_deploy._names import dns_label, is_dns_label, tenant_namespace

__all__ = [
    "SIDECAR_ROLES",
    "AgentRole",
    "ApplyError",
    "BuildError",
    "DeploySettings",
    "ProcessContext",
    "apply",
    "build",
    "dns_label",
    "find_agents",
    "is_dns_label",
    "render",
    "tenant_namespace",
    "to_yaml",
    "write_contexts",
]
