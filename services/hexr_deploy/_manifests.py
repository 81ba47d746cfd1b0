"""Render an agent's Kubernetes workload from its process contexts.

Per agent: a ServiceAccount, a ConfigMap with the process contexts, a Deployment whose pod
runs one container per role next to the credential-injector and A2A sidecars (native
sidecars: init containers with ``restartPolicy: Always``, so they start first and stop
last), a Service for A2A, and one ClusterSPIFFEID per process. SPIRE then issues exactly
the IDs the local platform issues, ``spiffe://<td>/agent/<tenant>/<agent>/<role>``, each
bound to its container (selectors ``k8s:ns``, ``k8s:sa``, ``k8s:container-name``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexr.identity import SpiffeId
from hexr_deploy._context import SIDECAR_ROLES, ProcessContext
from hexr_deploy._names import dns_label, tenant_namespace

__all__ = ["DeploySettings", "render"]

_SOCKET_DIR = "/spiffe-workload-api"
_PROCESS_DIR = "/etc/hexr/process"
_PLATFORM = "hexr-system.svc"
_VAULT_CA_DIR = "/etc/hexr/vault-ca"

Manifest = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DeploySettings:
    """What ``hexr deploy`` renders with; defaults match the Helm chart's."""

    image: str
    """Image with the agent's code at ``/app`` and ``hexr`` installed."""
    sidecar_image: str
    """The Hexr image the sidecars run (``python -m hexr_injector`` / ``hexr_a2a``)."""
    trust_domain: str = "hexr.local"
    replicas: int = 1
    a2a_port: int = 8765
    injector_port: int = 8443
    metrics_port: int = 9464
    image_pull_policy: str = "IfNotPresent"
    run_as_user: int = 10001


def _labels(ctx: ProcessContext) -> dict[str, str]:
    return {
        "hexr.io/managed": "true",
        "hexr.io/tenant": dns_label(ctx.tenant),
        "hexr.io/agent": dns_label(ctx.agent),
        "app.kubernetes.io/name": dns_label(ctx.agent),
        "app.kubernetes.io/managed-by": "hexr",
    }


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _env(ctx: ProcessContext, s: DeploySettings, metrics_port: int) -> list[dict[str, Any]]:
    values = {
        "SPIFFE_ENDPOINT_SOCKET": f"unix://{_SOCKET_DIR}/spire-agent.sock",
        "HEXR_TRUST_DOMAIN": s.trust_domain,
        "HEXR_PROCESS_CONTEXT": f"{_PROCESS_DIR}/{ctx.role}.json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://otel-collector.{_PLATFORM}:4317",
        "HEXR_VAULT_ADDR": f"https://openbao.{_PLATFORM}:8200",
        "HEXR_VAULT_CACERT": f"{_VAULT_CA_DIR}/ca.crt",
        "HEXR_INJECTOR_URL": f"https://127.0.0.1:{s.injector_port}",
        "HEXR_METRICS_HOST": "0.0.0.0",  # noqa: S104 - scraped by Prometheus (NetworkPolicy)
        "HEXR_METRICS_PORT": str(metrics_port),
    }
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in values.items()]
    # The tenant's Valkey ACL user (redis://agent:...@valkey...) and the scrape token.
    env.append({"name": "HEXR_VALKEY_URL",
                "valueFrom": {"secretKeyRef": {"name": "hexr-valkey", "key": "url"}}})
    env.append(
        {
            "name": "HEXR_METRICS_BEARER_TOKEN",
            "valueFrom": {
                "secretKeyRef": {"name": "hexr-metrics-scrape", "key": "token", "optional": True}
            },
        }
    )
    return env


def _container(
    name: str,
    image: str,
    command: list[str],
    env: list[dict[str, Any]],
    ports: list[dict[str, Any]],
    probe_port: str,
    s: DeploySettings,
) -> dict[str, Any]:
    probe = {"tcpSocket": {"port": probe_port}, "periodSeconds": 10}
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": s.image_pull_policy,
        "command": command,
        "env": env,
        "ports": ports,
        "securityContext": _security(),
        "startupProbe": {**probe, "failureThreshold": 30, "periodSeconds": 2},
        "livenessProbe": probe,
        "readinessProbe": probe,
        "resources": {
            "requests": {"cpu": "50m", "memory": "96Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "volumeMounts": [
            {"name": "spiffe-workload-api", "mountPath": _SOCKET_DIR, "readOnly": True},
            {"name": "process", "mountPath": _PROCESS_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - a private emptyDir
            {"name": "vault-ca", "mountPath": _VAULT_CA_DIR, "readOnly": True},
        ],
    }


def _sidecar_context(main: ProcessContext, role: str, s: DeploySettings) -> ProcessContext:
    spiffe_id = str(SpiffeId.for_agent(main.tenant, main.agent, role, s.trust_domain))
    return ProcessContext(
        tenant=main.tenant, agent=main.agent, role=role, framework="hexr",
        spiffe_id=spiffe_id, source="", function="", line=0, container=role,
    )


def _pod_containers(
    roles: list[ProcessContext], s: DeploySettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = roles[0]
    # Roles share the pod's network namespace: each gets its own metrics port.
    injector_ctx = _sidecar_context(first, "injector", s)
    injector_env = [
        *_env(injector_ctx, s, s.metrics_port + len(roles)),
        {"name": "HEXR_INJECTOR_HOST", "value": "127.0.0.1"},
        {"name": "HEXR_INJECTOR_PORT", "value": str(s.injector_port)},
        {"name": "HEXR_INJECTOR_CONFIG", "value": "/etc/hexr/injector/injector.yaml"},
        {"name": "HEXR_INJECTOR_STATE_DIR", "value": "/var/lib/hexr-injector"},
    ]
    injector = _container(
        "injector", s.sidecar_image, ["python", "-m", "hexr_injector"], injector_env,
        [{"name": "injector", "containerPort": s.injector_port},
         {"name": "metrics", "containerPort": s.metrics_port + len(roles)}],
        "injector", s,
    )
    injector["volumeMounts"] += [
        {"name": "injector-config", "mountPath": "/etc/hexr/injector", "readOnly": True},
        {"name": "injector-sealing", "mountPath": "/var/lib/hexr-injector", "readOnly": True},
    ]
    a2a_ctx = _sidecar_context(first, "a2a", s)
    a2a_env = [
        *_env(a2a_ctx, s, s.metrics_port + len(roles) + 1),
        {"name": "HEXR_A2A_PORT", "value": str(s.a2a_port)},
        # The sidecar serves the main role's function in-process (docs/a2a.md); the
        # agent's source is on the image's module path under its file's name.
        {"name": "HEXR_A2A_AGENT",
         "value": f"{Path(first.source).stem}:{first.function.rsplit('.', 1)[-1]}"},
    ]
    a2a = _container(
        "a2a", s.sidecar_image,
        # mTLS only, and NetworkPolicies decide who may connect.
        ["python", "-m", "hexr_a2a", "--host", "0.0.0.0"],  # noqa: S104
        a2a_env,
        [{"name": "a2a", "containerPort": s.a2a_port},
         {"name": "metrics", "containerPort": s.metrics_port + len(roles) + 1}],
        "a2a", s,
    )
    for sidecar in (injector, a2a):
        sidecar["restartPolicy"] = "Always"  # a native sidecar
    containers = []
    for i, ctx in enumerate(roles):
        port = s.metrics_port + i
        c = _container(
            ctx.container, s.image, ["python", f"/app/{ctx.source}"],
            [*_env(ctx, s, port), {"name": "HEXR_A2A_URL", "value": f"https://127.0.0.1:{s.a2a_port}"}],
            [{"name": "metrics", "containerPort": port}], "metrics", s,
        )
        c["workingDir"] = "/app"
        # A role's metrics port opens when @hexr_agent sets up telemetry.
        c["livenessProbe"] = c["readinessProbe"] = {
            "tcpSocket": {"port": port}, "periodSeconds": 10,
        }
        c["startupProbe"] = {
            "tcpSocket": {"port": port}, "periodSeconds": 2, "failureThreshold": 60,
        }
        containers.append(c)
    return [injector, a2a], containers


def _agent_manifests(roles: list[ProcessContext], s: DeploySettings) -> list[Manifest]:
    first = roles[0]
    ns = tenant_namespace(first.tenant)
    name = dns_label(first.agent)
    labels = _labels(first)
    selector = {k: labels[k] for k in ("hexr.io/tenant", "hexr.io/agent")}
    init, containers = _pod_containers(roles, s)
    meta = {"name": name, "namespace": ns, "labels": labels}
    sa: Manifest = {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta,
        "automountServiceAccountToken": False,
    }
    processes = [*roles, *(_sidecar_context(first, r, s) for r in SIDECAR_ROLES)]
    config: Manifest = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {**meta, "name": f"{name}-process"},
        "data": {f"{c.role}.json": c.to_json() for c in processes},
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True, "runAsUser": s.run_as_user, "runAsGroup": s.run_as_user,
            "fsGroup": s.run_as_user, "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": init,
        "containers": containers,
        "volumes": [
            {"name": "spiffe-workload-api", "csi": {"driver": "csi.spiffe.io", "readOnly": True}},
            {"name": "process", "configMap": {"name": f"{name}-process"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            # OpenBao's CA (public), published per tenant by the chart (openbao.caBundle).
            {"name": "vault-ca", "configMap": {"name": "hexr-vault-ca"}},
            {"name": "injector-config", "configMap": {"name": "hexr-injector"}},
            {"name": "injector-sealing", "secret": {
                "secretName": "injector-sealing", "defaultMode": 0o400,
                "items": [{"key": "sealing.key", "path": "sealing.key"}]}},
        ],
    }
    deployment: Manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
    service: Manifest = {
        "apiVersion": "v1", "kind": "Service", "metadata": meta,
        "spec": {
            "selector": selector,
            "ports": [{"name": "a2a", "port": s.a2a_port, "targetPort": "a2a"}],
        },
    }
    identities = [_cluster_spiffe_id(p, ns, name, selector) for p in processes]
    extra: list[Manifest] = []
    if s.replicas > 1:
        # Replicas on different nodes, and drains keep all but one running.
        pod_spec["affinity"] = {"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": selector}},
            }]}}
        extra.append({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
            "spec": {"minAvailable": s.replicas - 1, "selector": {"matchLabels": selector}},
        })
    return [sa, config, deployment, service, *extra, *identities]


def _cluster_spiffe_id(
    ctx: ProcessContext, ns: str, sa: str, selector: dict[str, str]
) -> Manifest:
    # The ID is spelled out (not templated): it is exactly the local platform's.
    path = ctx.spiffe_id.split("/", 3)[3]
    return {
        "apiVersion": "spire.spiffe.io/v1alpha1",
        "kind": "ClusterSPIFFEID",
        "metadata": {
            "name": dns_label(f"hexr-{ctx.tenant}-{ctx.agent}-{ctx.role}"),
            "labels": {k: v for k, v in selector.items()} | {"hexr.io/managed": "true",
                                                              "hexr.io/role": dns_label(ctx.role)},
        },
        "spec": {
            "spiffeIDTemplate": "spiffe://{{ .TrustDomain }}/" + path,
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
            "podSelector": {"matchLabels": selector},
            "workloadSelectorTemplates": [
                f"k8s:ns:{ns}", f"k8s:sa:{sa}", f"k8s:container-name:{ctx.container}",
            ],
        },
    }


def render(contexts: Iterable[ProcessContext], settings: DeploySettings) -> list[Manifest]:
    """The manifests of every agent among ``contexts`` (grouped by tenant and agent)."""
    agents: dict[tuple[str, str], list[ProcessContext]] = {}
    for ctx in contexts:
        agents.setdefault((ctx.tenant, ctx.agent), []).append(ctx)
    out: list[Manifest] = []
    for roles in agents.values():
        out.extend(_agent_manifests(roles, settings))
    return out
