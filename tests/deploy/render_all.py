"""Write every manifest the project ships, rendered, for checkov (.ci/run):
``python -m tests.deploy.render_all OUT_DIR``.

Helm chart (default and production values), every kustomize overlay, and ``hexr deploy
--dry-run`` of the sample agents.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from hexr_deploy import DeploySettings, build, render
from tests.deploy import chart, k8s

AGENTS = Path(__file__).parent / "agents"


def main(out: Path) -> None:
    """Render everything into ``out`` (one YAML stream per source)."""
    out.mkdir(parents=True, exist_ok=True)
    sources = {
        "helm-default": chart.render(),
        "helm-production": chart.render(chart.values_file("values-production.yaml")),
    }
    for overlay in sorted((chart.KUSTOMIZE / "overlays").iterdir()):
        sources[f"kustomize-{overlay.name}"] = k8s.kustomize(overlay)
    settings = DeploySettings(image="hexr-agent:0.1.0", sidecar_image="ghcr.io/hexr/hexr:0.1.0")
    for agent in sorted(AGENTS.glob("*.py")):
        sources[f"agent-{agent.stem}"] = render(build(agent, "acme", "hexr.local"), settings)
    for name, docs in sources.items():
        (out / f"{name}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
        print(f"{name}: {len(docs)} manifests")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
