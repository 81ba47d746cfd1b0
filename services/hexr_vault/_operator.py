"""Operator access to tenants' secrets (seeding, inspection) with an operator token.

Paths go through the same validation as the SDK's, scoped to an explicit tenant, so an
operator command cannot address a path outside ``tenants/<tenant>/``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

import hvac

from hexr.vault import Secret, SecretNotFound
from hexr.vault.layout import VaultLayout, normalize_path, normalize_prefix
from hexr.vault.wire import checked_value, secret_from_response, translate_errors

__all__ = ["OperatorVault"]


class OperatorVault:
    """Read, write and list any tenant's secrets with an operator's hvac client."""

    def __init__(self, client: hvac.Client, layout: VaultLayout | None = None) -> None:
        self._client = client
        self._layout = layout or VaultLayout()
        self._addr = str(client.url)

    def _full(self, tenant: str, relative: str) -> str:
        return f"{self._layout.tenant_root(tenant)}/{relative}"

    def put(self, tenant: str, path: str, value: Mapping[str, Any]) -> int:
        """Write a new version of ``tenants/<tenant>/<path>``; returns the version."""
        relative = normalize_path(path, tenant)
        fields = checked_value(value)
        with translate_errors("put", self._addr, relative):
            response = self._client.secrets.kv.v2.create_or_update_secret(
                self._full(tenant, relative), secret=fields, mount_point=self._layout.kv_mount
            )
        version = (response.get("data") or {}).get("version")
        return int(version) if isinstance(version, int) else 0

    def get(self, tenant: str, path: str) -> Secret:
        """The latest version of ``tenants/<tenant>/<path>``."""
        relative = normalize_path(path, tenant)
        with translate_errors("get", self._addr, relative):
            response = self._client.secrets.kv.v2.read_secret_version(
                self._full(tenant, relative),
                mount_point=self._layout.kv_mount,
                raise_on_deleted_version=True,
            )
        return secret_from_response(relative, response)

    def list(self, tenant: str, prefix: str = "") -> builtins.list[str]:
        """Names directly under ``tenants/<tenant>/<prefix>``."""
        relative = normalize_prefix(prefix, tenant)
        try:
            with translate_errors("list", self._addr, relative):
                response = self._client.secrets.kv.v2.list_secrets(
                    self._full(tenant, relative).rstrip("/"), mount_point=self._layout.kv_mount
                )
        except SecretNotFound:
            return []
        return sorted(str(k) for k in (response.get("data") or {}).get("keys") or [])
