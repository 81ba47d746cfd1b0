"""Process contexts: what each role process of an agent runs as, written by ``hexr build``.

One JSON file per role, ``<out>/<tenant>/<agent>/<role>.json``, read by ``hexr deploy``
(mounted into the pod at ``/etc/hexr/process/``) and by operators reviewing a build.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hexr.errors import IdentityError
from hexr.identity import SpiffeId
from hexr_deploy._analysis import AgentRole, BuildError, find_agents
from hexr_deploy._names import dns_label, tenant_namespace

__all__ = ["ProcessContext", "build", "write_contexts"]

SIDECAR_ROLES = ("a2a", "injector")
"""Roles the platform's sidecars take in every agent pod (their container names too)."""


@dataclass(frozen=True, slots=True)
class ProcessContext:
    """One role process of an agent: its identity, source and container."""

    tenant: str
    agent: str
    role: str
    framework: str
    spiffe_id: str
    source: str
    function: str
    line: int
    container: str

    def to_json(self) -> str:
        """The context as stable, indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def _context(role: AgentRole, source: Path, trust_domain: str) -> ProcessContext:
    try:
        spiffe_id = SpiffeId.for_agent(role.tenant, role.name, role.role, trust_domain)
    except IdentityError as exc:  # a name no SPIFFE ID can carry
        raise BuildError(f"line {role.line}: {exc}") from None
    if role.role in SIDECAR_ROLES:
        raise BuildError(
            f"line {role.line}: role {role.role!r} is reserved for the {role.role} sidecar"
        )
    return ProcessContext(
        tenant=role.tenant,
        agent=role.name,
        role=role.role,
        framework=role.framework,
        spiffe_id=str(spiffe_id),
        source=source.name,
        function=role.function,
        line=role.line,
        container=dns_label(role.role),
    )


def build(source: Path, tenant: str, trust_domain: str) -> list[ProcessContext]:
    """The process contexts of every ``@hexr_agent`` of ``source`` for ``tenant``.

    Raises:
        BuildError: the tenant cannot name a namespace, the file cannot be analysed,
            declares no agent, declares an agent of another tenant, or two roles would share
            a container name.
    """
    try:
        tenant_namespace(tenant)
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    roles = find_agents(source)
    if not roles:
        raise BuildError(f"{source}: no @hexr_agent found")
    others = sorted({r.tenant for r in roles if r.tenant != tenant})
    if others:
        raise BuildError(
            f"{source}: agents declared for tenant(s) {', '.join(others)}, not {tenant!r}"
        )
    contexts = [_context(r, source, trust_domain) for r in roles]
    containers: dict[tuple[str, str], str] = {}
    for ctx in contexts:
        key = (ctx.agent, ctx.container)
        if key in containers and containers[key] != ctx.role:
            raise BuildError(f"roles {containers[key]!r} and {ctx.role!r} share a container name")
        containers[key] = ctx.role
    return contexts


def write_contexts(contexts: list[ProcessContext], out_dir: Path) -> list[Path]:
    """Write one JSON file per context under ``out_dir``; returns the paths written."""
    written = []
    for ctx in contexts:
        path = out_dir / ctx.tenant / ctx.agent / f"{ctx.role}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ctx.to_json())
        written.append(path)
    return written
