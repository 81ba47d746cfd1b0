"""``hexr build`` and ``hexr deploy``: an agent file → process contexts → Kubernetes workload.

Thin: the analysis and rendering live in ``hexr_deploy``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hexr import __version__
from hexr.errors import HexrError

Source = Annotated[Path, typer.Argument(help="Python file with @hexr_agent functions.")]
Tenant = Annotated[str, typer.Option("--tenant", "-t", help="Tenant the agents belong to.")]
# The SDK's default trust domain (tests/deploy checks they agree); HEXR_TRUST_DOMAIN wins.
DEFAULT_TRUST_DOMAIN = "hexr.local"
TrustDomain = Annotated[
    str,
    typer.Option("--trust-domain", envvar="HEXR_TRUST_DOMAIN", help="SPIFFE trust domain."),
]

_DEFAULT_SIDECAR_IMAGE = f"ghcr.io/hexr/hexr:{__version__}"


def build(
    source: Source,
    tenant: Tenant,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the process contexts.")
    ] = Path("build/hexr"),
    trust_domain: TrustDomain = DEFAULT_TRUST_DOMAIN,
) -> None:
    """Find every agent and role of SOURCE (without importing it); write process contexts."""
    from hexr_deploy import build as build_contexts
    from hexr_deploy import write_contexts

    try:
        contexts = build_contexts(source, tenant, trust_domain)
    except HexrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for ctx, path in zip(contexts, write_contexts(contexts, out), strict=True):
        typer.echo(f"{ctx.spiffe_id}  {ctx.function} (line {ctx.line})  -> {path}")


def deploy(
    source: Source,
    tenant: Tenant,
    image: Annotated[
        str | None,
        typer.Option("--image", help="Agent image (code at /app); default hexr-agent-<file>."),
    ] = None,
    sidecar_image: Annotated[
        str, typer.Option("--sidecar-image", help="Hexr image of the sidecars.")
    ] = _DEFAULT_SIDECAR_IMAGE,
    replicas: Annotated[int, typer.Option("--replicas", min=1, max=100)] = 1,
    trust_domain: TrustDomain = DEFAULT_TRUST_DOMAIN,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the manifests instead of applying them.")
    ] = False,
) -> None:
    """Render SOURCE's agents as Kubernetes workloads; apply them (server-side) unless --dry-run."""
    from hexr_deploy import DeploySettings, apply, dns_label, render, to_yaml
    from hexr_deploy import build as build_contexts

    try:
        contexts = build_contexts(source, tenant, trust_domain)
        agent_image = image or f"hexr-agent-{dns_label(source.stem)}:{__version__}"
        settings = DeploySettings(
            image=agent_image, sidecar_image=sidecar_image,
            trust_domain=trust_domain, replicas=replicas,
        )
        manifests = render(contexts, settings)
        if dry_run:
            typer.echo(to_yaml(manifests), nl=False)
            return
        typer.echo(apply(manifests), nl=False)
    except HexrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add ``build`` and ``deploy`` to the root ``hexr`` command."""
    app.command(name="build")(build)
    app.command(name="deploy")(deploy)
