"""``python -m hexr_identity``: run the identity service until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from pydantic import ValidationError

from hexr.errors import ConfigError
from hexr.logs import configure_logging
from hexr_identity._config import IdentitySettings
from hexr_identity._server import IdentityService


def _parse(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m hexr_identity", description="Hexr identity service"
    )
    parser.add_argument("--home", help="state directory (HEXR_HOME)")
    parser.add_argument("--trust-domain", help="trust domain (HEXR_TRUST_DOMAIN)")
    parser.add_argument("--socket", help="Workload API socket path")
    parser.add_argument("--registration-socket", help="registration API socket path")
    parser.add_argument("--http-host", help="JWKS/OIDC listen host")
    parser.add_argument("--http-port", type=int, help="JWKS/OIDC listen port (0: any)")
    parser.add_argument("--issuer", help="OIDC issuer URL (default: the JWKS base URL)")
    parser.add_argument("--x509-ttl", type=float, help="X.509-SVID TTL, seconds")
    parser.add_argument("--jwt-ttl", type=float, help="JWT-SVID TTL, seconds")
    parser.add_argument("--ca-ttl", type=float, help="CA and JWT key TTL, seconds")
    args = vars(parser.parse_args(argv))
    return {k: v for k, v in args.items() if v is not None}


async def _run(settings: IdentitySettings) -> None:
    service = IdentityService(settings)
    await service.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # One JSON line on stdout tells a supervisor where everything is, once it all listens.
    print(
        json.dumps(
            {
                "ready": True,
                "socket": str(settings.workload_socket),
                "registration_socket": str(settings.registration_socket_path),
                "issuer": service.issuer_url,
                "jwks_url": f"{service.issuer_url}/keys",
                "http_port": service.http_port,
                "trust_domain": settings.trust_domain,
            }
        ),
        flush=True,
    )
    await stop.wait()
    await service.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the service; exit code 2 on invalid configuration."""
    try:
        settings = IdentitySettings(**_parse(sys.argv[1:] if argv is None else argv))
        configure_logging(
            "identity", spiffe_id=f"spiffe://{settings.trust_domain}/service/identity"
        )
    except (ValidationError, ConfigError) as err:
        print(f"invalid identity configuration: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(settings))
    except ConfigError as err:
        print(f"invalid identity configuration: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"identity service cannot start: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
