"""Kubernetes object names for Hexr's tenant, agent and role names.

SPIFFE ID segments allow ``[A-Za-z0-9._-]``; Kubernetes names are DNS-1123 labels
(lowercase alphanumerics and ``-``, at most 63). A name that is already a label is kept; any
other is lowered, cleaned and suffixed with a short hash of the original, so two different
Hexr names never map to the same Kubernetes name.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["dns_label", "is_dns_label", "tenant_namespace"]

_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX = 63


def is_dns_label(value: str, max_len: int = _MAX) -> bool:
    """Whether ``value`` is a DNS-1123 label of at most ``max_len`` characters."""
    return len(value) <= max_len and bool(_LABEL_RE.fullmatch(value))


def dns_label(value: str, max_len: int = _MAX) -> str:
    """``value`` as a DNS-1123 label (unchanged when it already is one)."""
    if is_dns_label(value, max_len):
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "x"
    return f"{cleaned[: max_len - 9].rstrip('-')}-{digest}"


def tenant_namespace(tenant: str) -> str:
    """The namespace of ``tenant``: ``tenant-<name>``, as the Helm chart names it.

    Raises:
        ValueError: ``tenant`` cannot name a namespace (not a DNS label of at most 56 chars).
    """
    if not is_dns_label(tenant, _MAX - len("tenant-")):
        raise ValueError(
            f"tenant {tenant[:64]!r} cannot name a Kubernetes namespace: on Kubernetes, "
            "tenant names are lowercase letters, digits and '-' (at most 56)"
        )
    return "tenant-" + tenant
