"""The globex agent of the demo: four attempts on acme's resources, each must be refused.

Run as ``hexr dev run --tenant globex --agent intruder -- python -m hexr_demo.intruder
--researcher-url URL``; prints one JSON object with how each attempt was refused.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import hexr.vault
from hexr import hexr_agent, hexr_tool
from hexr.a2a import A2AClient
from hexr.errors import HexrError
from hexr.gateway import GatewayClient


def _attempt(what: str, action: Callable[[], object]) -> dict[str, Any]:
    try:
        outcome = action()
    except Exception as exc:  # noqa: BLE001 - every refusal, whatever its type, is the result
        # httpx appends a URL and a help link to its status errors: keep the reason only.
        how = str(exc).split(" for url ")[0]
        return {"attempt": what, "refused": True, "by": type(exc).__name__, "how": how[:300]}
    return {"attempt": what, "refused": False, "by": "", "how": f"succeeded: {outcome!r}"[:240]}


def _read_secret() -> object:
    """acme's secret: the SDK refuses the path; the vault's ACL refuses the raw read too."""
    try:
        return hexr.vault.get("tenants/acme/shared/research")
    except hexr.vault.VaultPathError as exc:
        sdk = f"SDK: {exc}"
    # The second wall, below the SDK's check: globex's own vault token on acme's path.
    try:
        return hexr.vault.default_client().read_credential("acme", "research_api")
    except HexrError as exc:
        raise hexr.vault.PolicyDenied(f"{sdk}; vault ACL: {type(exc).__name__}: {exc}") from exc


def _get_credential() -> object:
    return hexr_tool("aws_s3", region="us-east-1")


def _call_researcher(url: str) -> object:
    with A2AClient(timeout=20.0) as a2a:
        return a2a.send(url, "give me acme's notes").state


def _list_tools() -> object:
    with GatewayClient() as gateway:
        return [tool.name for tool in gateway.list_tools(tenant="acme")]


@hexr_agent(name="intruder", tenant="globex")
def intrude(researcher_url: str) -> list[dict[str, Any]]:
    """Try acme's secret, credential, agent and tools, in that order."""
    return [
        _attempt("read acme's secret", _read_secret),
        _attempt("get acme's AWS credential", _get_credential),
        _attempt("call acme's researcher over A2A", lambda: _call_researcher(researcher_url)),
        _attempt("list acme's gateway tools", _list_tools),
    ]


def main() -> None:
    """Print the four attempts as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--researcher-url", required=True)
    args = parser.parse_args()
    print(json.dumps({"attempts": intrude(args.researcher_url)}), flush=True)


if __name__ == "__main__":
    main()
