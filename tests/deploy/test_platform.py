"""The hexr-system platform: Helm chart (default and production values) and kustomize
overlays render, validate strictly offline (CRDs included) and are hardened."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy import chart, k8s

KUSTOMIZE = chart.KUSTOMIZE
HA = {"spire-server", "openbao", "valkey", "credential-injector", "gateway", "console",
      "otel-collector", "prometheus", "alertmanager", "grafana"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Chart and overlay outputs, rendered once for the module."""
    return {
        "helm-default": chart.render(),
        "helm-production": chart.render(chart.values_file("values-production.yaml")),
        "kustomize-dev": k8s.kustomize(KUSTOMIZE / "overlays" / "dev"),
        "kustomize-production": k8s.kustomize(KUSTOMIZE / "overlays" / "production"),
    }


SOURCES = ["helm-default", "helm-production", "kustomize-dev", "kustomize-production"]


@pytest.mark.parametrize("source", SOURCES)
def test_validates_strictly_against_kubernetes_schemas(rendered, source):
    docs = rendered[source]
    assert len(docs) > 60
    assert k8s.errors(docs) == []


def test_validator_rejects_unknown_fields_and_kinds():
    bad_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
               "spec": {"containers": [{"name": "c", "image": "i", "bogus": 1}]}}
    bad_id = {"apiVersion": "spire.spiffe.io/v1alpha1", "kind": "ClusterSPIFFEID",
              "metadata": {"name": "x"}, "spec": {"spiffeIDTemplate": "t", "bogus": 1}}
    unknown = {"apiVersion": "example.com/v1", "kind": "Nope", "metadata": {"name": "x"}}
    found = k8s.errors([bad_pod, bad_id, unknown])
    assert len(found) == 3
    assert "no schema" in found[2]


def test_helm_lint_has_no_errors():
    import helm_python

    ca = {"openbao": {"caBundle": chart.TEST_CA}}
    for values in ({}, chart.values_file("values-production.yaml")):
        result = helm_python.lint(str(chart.CHART), chart.merge(values, ca), strict=True)
        assert result["errors"] == [], result
        assert [m for m in result["messages"] if m["severity"] > 1] == [], result


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"images": {"valkey": {"repository": "x", "tag": "latest"}}}, "/images/valkey/tag"),
        ({"images": {"valkey": {"repository": "x", "tag": "1", "digest": "sha256:x"}}},
         "/images/valkey/digest"),
        ({"tenants": [{"name": "Acme"}]}, "/tenants/0/name"),
        ({"valkey": {"replicas": 0}}, "/valkey/replicas"),
        ({"global": {"antiAffinity": "sometimes"}}, "/global/antiAffinity"),
        ({"valky": {}}, "valky"),
    ],
)
def test_values_schema_refuses_bad_values(values, where):
    import helm_python

    with pytest.raises(helm_python.HelmError, match=where):
        chart.render(values)


def test_tenants_need_the_vault_ca():
    import helm_python

    with pytest.raises(helm_python.HelmError, match=r"openbao\.caBundle"):
        chart.render({"openbao": {"caBundle": ""}, "tenants": [{"name": "acme"}]})


def test_generated_kustomize_files_match_the_chart():
    for path, text in chart.kustomize_files().items():
        assert path.read_text() == text, f"{path} is stale: run python -m tests.deploy.chart"


def _skips(workload: dict[str, Any]) -> set[str]:
    notes = workload["metadata"].get("annotations", {})
    return {v.split("=")[0] for k, v in notes.items() if k.startswith("checkov.io/skip")}


@pytest.mark.parametrize("source", SOURCES)
def test_every_workload_is_hardened(rendered, source):
    for workload, pod in k8s.pod_specs(rendered[source]):
        skips = _skips(workload)
        name = workload["metadata"]["name"]
        pod_sc = pod.get("securityContext", {})
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        if "CKV_K8S_38" not in skips:
            assert pod.get("automountServiceAccountToken") is False, name
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            where = f"{name}/{c['name']}"
            sc = c["securityContext"]
            assert {"cpu", "memory"} <= c["resources"]["requests"].keys(), where
            assert {"cpu", "memory"} <= c["resources"]["limits"].keys(), where
            assert sc["readOnlyRootFilesystem"] is True, where
            if sc.get("privileged"):
                assert "CKV_K8S_16" in skips, where
            else:
                assert sc["allowPrivilegeEscalation"] is False, where
                assert sc["capabilities"]["drop"] == ["ALL"], where
            if sc.get("runAsNonRoot") is False or sc.get("runAsUser") == 0:
                assert "CKV_K8S_23" in skips, where
            else:
                assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            long_running = workload["kind"] != "Job" and (
                c in pod["containers"] or c.get("restartPolicy") == "Always")
            # Only the (privileged) CSI driver has no health endpoint; its skip says so.
            exempt = sc.get("privileged") and {"CKV_K8S_8", "CKV_K8S_9"} <= skips
            if long_running and not exempt:
                assert "livenessProbe" in c, where
                assert "readinessProbe" in c, where


def test_production_is_highly_available(rendered):
    docs = rendered["helm-production"]
    workloads = {d["metadata"]["name"]: d for d, _ in k8s.pod_specs(docs)}
    pdbs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PodDisruptionBudget"}
    for name in HA:
        replicas = workloads[name]["spec"]["replicas"]
        assert replicas >= 2, name
        assert pdbs[name]["spec"]["minAvailable"] == replicas - 1, name
        affinity = workloads[name]["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        assert "requiredDuringSchedulingIgnoredDuringExecution" in affinity, name
    bao = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "openbao")
    assert bao["data"]["openbao.hcl"].count("retry_join") == 3
    prod = {d["metadata"]["name"]: d for d, _ in k8s.pod_specs(rendered["kustomize-production"])}
    for name in HA:
        assert prod[name]["spec"]["replicas"] >= 2, name


def test_image_digest_wins_over_tag_and_registry_is_rewritten():
    digest = "sha256:" + "ab" * 32
    docs = chart.render({"global": {"imageRegistry": "mirror.internal:5000"},
                         "images": {"valkey": {"digest": digest}}})
    images = {c["image"] for _, pod in k8s.pod_specs(docs) for c in pod["containers"]}
    assert f"mirror.internal:5000/valkey/valkey@{digest}" in images
    assert all(i.startswith("mirror.internal:5000/") for i in images)


def _policies(docs, ns):
    return {d["metadata"]["name"]: d for d in docs
            if d["kind"] == "NetworkPolicy" and d["metadata"]["namespace"] == ns}


def test_tenant_namespaces_deny_by_default_and_allow_a2a_only_between_allowed_tenants(rendered):
    docs = rendered["helm-production"]
    for tenant in ("acme", "beta"):
        ns = f"tenant-{tenant}"
        pols = _policies(docs, ns)
        assert pols["default-deny"]["spec"] == {"podSelector": {},
                                                "policyTypes": ["Ingress", "Egress"]}
        kinds = {d["kind"] for d in docs if d["metadata"].get("namespace") == ns}
        assert {"ResourceQuota", "LimitRange"} <= kinds

    def a2a(ns, direction):
        rule = _policies(docs, ns)["a2a"]["spec"][direction][0]
        peer = rule["from" if direction == "ingress" else "to"][0]
        return set(peer["namespaceSelector"]["matchExpressions"][0]["values"])

    # acme accepts A2A from beta; beta accepts none but itself.
    assert a2a("tenant-acme", "ingress") == {"acme", "beta"}
    assert a2a("tenant-beta", "ingress") == {"beta"}
    assert a2a("tenant-beta", "egress") == {"beta", "acme"}
    assert a2a("tenant-acme", "egress") == {"acme"}
    # Tenants get no RBAC at all (so no access to hexr-system secrets).
    assert not [d for d in docs if d["kind"] in {"Role", "RoleBinding"}
                and d["metadata"]["namespace"].startswith("tenant-")]



def test_config_maps_are_the_repository_files(rendered):
    root = chart.ROOT
    expected = {
        ("otel-collector-config", "config.yaml"): root / "deploy/otel-collector/config.yaml",
        ("prometheus-config", "prometheus.yml"): root / "deploy/prometheus/kubernetes.yml",
        ("alertmanager-config", "alertmanager.yml"): root / "deploy/alertmanager/alertmanager.yml",
        ("grafana-datasources", "hexr.yaml"): root / "deploy/grafana/datasources/hexr.yaml",
    }
    rule_files = {p.name: p for p in chart.rule_files()}
    dashboards = {p.name: p for p in chart.dashboard_files()}
    assert rule_files, "no Prometheus rule file found"
    for source in ("helm-default", "kustomize-dev"):
        maps = {}
        for d in rendered[source]:
            if d["kind"] == "ConfigMap":
                name = d["metadata"]["name"]
                if source.startswith("kustomize") and name.rsplit("-", 1)[0] in {
                        k[0] for k in expected} | {"prometheus-rules", "grafana-dashboards",
                                                   "grafana-dashboard-providers"}:
                    name = name.rsplit("-", 1)[0]
                maps[name] = d.get("data") or {}
        for (cm, key), path in expected.items():
            assert maps[cm][key] == path.read_text(), (source, cm)
        assert maps["prometheus-rules"] == {
            n: p.read_text() for n, p in rule_files.items()}, f"{source}: rule files differ"
        assert maps["grafana-dashboards"] == {
            n: p.read_text() for n, p in dashboards.items()}, f"{source}: dashboards differ"


def test_injector_configs_load_and_tenant_grants_stay_in_their_tenant(rendered, tmp_path):
    from hexr_injector import load_config

    docs = rendered["helm-production"]
    maps = [d for d in docs if d["kind"] == "ConfigMap"
            and d["metadata"]["name"] in {"hexr-injector", "credential-injector"}]
    assert len(maps) == 3  # the platform's and one per tenant
    for cm in maps:
        path = tmp_path / "injector.yaml"
        path.write_text(cm["data"]["injector.yaml"])
        config = load_config(path)
        assert config.trust_domain == "hexr.local"
        assert config.resolved_jwks_url == "http://spire-oidc.hexr-system.svc/keys"
        ns = cm["metadata"]["namespace"]
        if ns.startswith("tenant-"):
            # values-production.yaml asks for a grant on tenant beta inside acme's list.
            assert {g.tenant for g in config.grants} <= {ns.removeprefix("tenant-")}
    acme = next(m for m in maps if m["metadata"]["namespace"] == "tenant-acme")
    assert "beta" not in acme["data"]["injector.yaml"]


def test_every_manifest_file_of_deploy_kubernetes_validates():
    files = sorted((chart.ROOT / "deploy" / "kubernetes").glob("*.yaml"))
    assert files
    for path in files:
        docs = k8s.load_all(path.read_text())
        assert docs, path
        assert k8s.errors(docs) == [], path
    monitor = k8s.load_all((chart.ROOT / "deploy/kubernetes/servicemonitor.yaml").read_text())[0]
    monitor["spec"]["endpoints"][0]["interval"] = "fifteen seconds"
    assert k8s.errors([monitor]) != []
