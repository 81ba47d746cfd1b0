"""The Hexr management console: one authenticated page and a REST API over the platform.

Components and their health, tenants and agents with their SPIFFE IDs, cost and tokens,
credential cache tiers and exchanges, denials, and every dashboard panel rendered from its
own PromQL against the local Prometheus. Run it with ``python -m hexr_console`` (``hexr dev
up`` starts it); ``hexr console`` prints its URL and admin token.
"""

from hexr_console._auth import load_or_create_token, token_path

__all__ = ["load_or_create_token", "token_path"]
