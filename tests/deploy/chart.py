"""Render the Helm chart with Helm's own engine (PyPI ``helm-python-sdk``, Helm v4 Go SDK
behind a C ABI: no helm binary exists for this machine) and derive the kustomize base.

``python -m tests.deploy.chart`` rewrites ``deploy/kustomize/base/platform.yaml``,
``deploy/kustomize/base/kustomization.yaml`` (its ConfigMap generators list every rule file
and dashboard) and ``deploy/kustomize/tenants/example/tenant.yaml``; ``tests/deploy`` fails
when they are out of date, so the chart stays the single source of the workloads while the
kustomize base builds its ConfigMaps from the repository's config files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "hexr"
KUSTOMIZE = ROOT / "deploy" / "kustomize"
BASE_FILE = KUSTOMIZE / "base" / "platform.yaml"
BASE_KUSTOMIZATION = KUSTOMIZE / "base" / "kustomization.yaml"
TENANT_FILE = KUSTOMIZE / "tenants" / "example" / "tenant.yaml"
HEADER = (
    "# GENERATED from deploy/helm/hexr by `python -m tests.deploy.chart` (configFiles: false,\n"
    "# tenants: [example]); do not edit, edit the chart. tests/deploy checks it is current.\n"
)


# Stands for the operator's OpenBao CA (tenants need one); not a certificate.
TEST_CA = "-----BEGIN CERTIFICATE-----\ntest-ca\n-----END CERTIFICATE-----\n"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of two values dicts, as Helm merges -f files."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def render(*values: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's manifests for ``values`` (merged in order over values.yaml)."""
    import helm_python

    merged: dict[str, Any] = {"openbao": {"caBundle": TEST_CA}}
    for v in values:
        merged = merge(merged, v)
    helm_python.disable_logging()
    with helm_python.Chart.load(str(CHART)) as chart:
        files = chart.render(merged, name="hexr", namespace="hexr-system")
    docs: list[dict[str, Any]] = []
    for name in sorted(files):
        if name.endswith((".txt", "NOTES.txt")):
            continue
        docs.extend(d for d in yaml.safe_load_all(files[name]) if d)
    return docs


def values_file(name: str) -> dict[str, Any]:
    """A values file of the chart."""
    data: dict[str, Any] = yaml.safe_load((CHART / name).read_text())
    return data


def _strip_helm(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop what only Helm uses (managed-by label value, hook annotations)."""
    meta = doc.get("metadata", {})
    labels = meta.get("labels", {})
    if labels.get("app.kubernetes.io/managed-by") == "Helm":
        labels["app.kubernetes.io/managed-by"] = "kustomize"
    for obj in (doc, doc.get("spec", {}).get("template", {})):
        m = obj.get("metadata", {}) if isinstance(obj, dict) else {}
        pl = m.get("labels", {})
        if pl.get("app.kubernetes.io/managed-by") == "Helm":
            pl["app.kubernetes.io/managed-by"] = "kustomize"
    ann = meta.get("annotations", {})
    for key in [k for k in ann if k.startswith("helm.sh/")]:
        del ann[key]
    if "annotations" in meta and not ann:
        del meta["annotations"]
    return doc


def rule_files() -> list[Path]:
    """Every Prometheus rule file of deploy/prometheus (a YAML file with ``groups``)."""
    folder = ROOT / "deploy" / "prometheus"
    paths = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    return [p for p in paths if "groups" in (yaml.safe_load(p.read_text()) or {})]


def dashboard_files() -> list[Path]:
    """Every generated dashboard (dashboards/**/*.json)."""
    return sorted((ROOT / "dashboards").rglob("*.json"))


def _base_kustomization() -> str:
    def rel(p: Path) -> str:
        return Path(os.path.relpath(p, BASE_KUSTOMIZATION.parent)).as_posix()

    def generator(name: str, files: list[str]) -> dict[str, Any]:
        return {"name": name, "namespace": "hexr-system", "files": files}

    crds = sorted((CHART / "crds").glob("*.yaml"))
    doc = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [*(rel(p) for p in crds), "platform.yaml"],
        "generatorOptions": {"labels": {"app.kubernetes.io/part-of": "hexr"}},
        "configMapGenerator": [
            generator("otel-collector-config",
                      ["config.yaml=../../otel-collector/config.yaml"]),
            generator("prometheus-config", ["prometheus.yml=../../prometheus/kubernetes.yml"]),
            generator("prometheus-rules", [rel(p) for p in rule_files()]),
            generator("alertmanager-config",
                      ["alertmanager.yml=../../alertmanager/alertmanager.yml"]),
            generator("grafana-datasources", ["hexr.yaml=../../grafana/datasources/hexr.yaml"]),
            generator("grafana-dashboard-providers",
                      ["hexr.yaml=../../grafana/dashboards/hexr.yaml"]),
            generator("grafana-dashboards", [rel(p) for p in dashboard_files()]),
        ],
    }
    header = (
        "# hexr-system platform. GENERATED by `python -m tests.deploy.chart`: workloads in\n"
        "# platform.yaml (from the chart), ConfigMaps built from the repository's config files\n"
        "# (every rule file of deploy/prometheus, every dashboard of dashboards/), the same files\n"
        "# the local platform uses. Files outside this directory need:\n"
        "#   kubectl kustomize --load-restrictor LoadRestrictionsNone <overlay>\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False)


def kustomize_files() -> dict[Path, str]:
    """What the generated kustomize files must contain."""
    docs = [
        _strip_helm(d)
        for d in render({"configFiles": False, "tenants": [{"name": "example"}]})
    ]
    platform = [d for d in docs if not d["metadata"].get("namespace", "").startswith("tenant-")
                and not (d["kind"] == "Namespace"
                         and d["metadata"]["name"].startswith("tenant-"))]
    # The CA ConfigMap is the operator's (kubectl create configmap hexr-vault-ca ...).
    tenant = [d for d in docs if d not in platform and d["metadata"]["name"] != "hexr-vault-ca"]
    dump = lambda ds: HEADER + yaml.safe_dump_all(ds, sort_keys=False)  # noqa: E731
    return {BASE_FILE: dump(platform), TENANT_FILE: dump(tenant),
            BASE_KUSTOMIZATION: _base_kustomization()}


def main() -> None:
    """Rewrite the generated kustomize files."""
    for path, text in kustomize_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
