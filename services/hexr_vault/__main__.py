"""``python -m hexr_vault bootstrap|enroll``: provision a Vault-API server for Hexr.

For a production server (OpenBao or HashiCorp Vault), run with an operator token::

    HEXR_VAULT_TOKEN=... python -m hexr_vault bootstrap --addr https://vault:8200 \\
        --jwks-url https://identity.example/keys --enroll acme/support-bot
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hexr import env as _env
from hexr.endpoints import DEFAULT_TRUST_DOMAIN, resolve_endpoint
from hexr.errors import HexrError
from hexr_vault._local import run_bootstrap
from hexr_vault._operator_token import operator_token


def _agent(value: str) -> tuple[str, str]:
    tenant, sep, agent = value.partition("/")
    if not sep:
        raise argparse.ArgumentTypeError("expected TENANT/AGENT")
    return tenant, agent


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m hexr_vault", description="Provision a Vault-API server for Hexr."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    boot = sub.add_parser("bootstrap", help="mounts, JWT auth, injector role (idempotent)")
    boot.add_argument("--addr", default=resolve_endpoint(_env.HEXR_VAULT_ADDR))
    boot.add_argument("--token-file", type=Path, help=f"else ${_env.HEXR_VAULT_TOKEN}")
    boot.add_argument("--jwks-url", default=resolve_endpoint(_env.HEXR_JWKS_URL))
    boot.add_argument("--issuer", help="default: from the JWKS host's OIDC discovery")
    boot.add_argument("--trust-domain", default=DEFAULT_TRUST_DOMAIN)
    boot.add_argument("--policy-data", type=Path,
                      help="JSON data for the agent-path Rego (stored in the vault; every"
                      " enrolled agent is recompiled; default: the stored data)")
    boot.add_argument("--enroll", type=_agent, action="append", default=[],
                      metavar="TENANT/AGENT", help="also enroll this agent (repeatable)")
    args = parser.parse_args(argv)
    if not args.addr or not args.jwks_url:
        parser.error(f"--addr and --jwks-url are required (or {_env.HEXR_VAULT_ADDR} and"
                     f" {_env.HEXR_JWKS_URL})")
    try:
        data = json.loads(args.policy_data.read_text()) if args.policy_data else None
        changes = run_bootstrap(
            args.addr,
            operator_token(args.token_file),
            jwks_url=args.jwks_url,
            issuer=args.issuer,
            trust_domain=args.trust_domain,
            agents=args.enroll,
            policy_data=data,
        )
    except (HexrError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for change in changes:
        print(change)
    if not changes:
        print("nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
