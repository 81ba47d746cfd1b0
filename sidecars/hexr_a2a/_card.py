"""The agent card: who the agent is, its skills, its bindings and the security in force."""

from __future__ import annotations

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    MutualTlsSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)

from hexr.a2a import AgentDeclaration

__all__ = ["JSONRPC_PATH", "REST_PATH", "build_card"]

JSONRPC_PATH = "/a2a/jsonrpc"
REST_PATH = "/a2a/rest"


def build_card(
    agent: str, declaration: AgentDeclaration, base_url: str, *, mtls: bool, push: bool = False
) -> AgentCard:
    """The card of ``agent`` served at ``base_url`` (JSON-RPC and HTTP+JSON, 1.0 and 0.3)."""
    interfaces = [
        AgentInterface(protocol_binding=binding, protocol_version=version, url=base_url + path)
        for binding, path in (("JSONRPC", JSONRPC_PATH), ("HTTP+JSON", REST_PATH))
        for version in ("1.0", "0.3")
    ]
    card = AgentCard(
        name=agent,
        description=declaration.description,
        version=declaration.version,
        provider=AgentProvider(organization="Hexr", url="https://hexr.dev"),
        capabilities=AgentCapabilities(streaming=True, push_notifications=push),
        default_input_modes=["text/plain", "application/json"],
        default_output_modes=["text/plain", "application/json"],
        supported_interfaces=interfaces,
        skills=[
            AgentSkill(
                id=skill.id,
                name=skill.name,
                description=skill.description or skill.name,
                tags=list(skill.tags) or [skill.id],
                examples=list(skill.examples),
            )
            for skill in declaration.skills
        ],
    )
    if mtls:
        card.security_schemes["spiffe-mtls"].CopyFrom(
            SecurityScheme(
                mtls_security_scheme=MutualTlsSecurityScheme(
                    description="mTLS with an X.509-SVID of the same trust domain; "
                    "callers are authorized by SPIFFE ID policy"
                )
            )
        )
        card.security_requirements.append(
            SecurityRequirement(schemes={"spiffe-mtls": StringList(list=[])})
        )
    return card
