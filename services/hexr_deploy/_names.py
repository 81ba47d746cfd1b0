"""Kubernetes object names for Hexr's tenant, agent and role names.

SPIFFE ID segments allow ``[A-Za-z0-9._-]``; Kubernetes names are DNS-1123 labels
(lowercase alphanumerics and ``-``, at most 63). A name that is already a label is kept; any
other is lowered, cleaned and suffixed with a short hash of the original, so two different
Hexr names never map to the same Kubernetes name.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["dns_label", "tenant_namespace"]

_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX = 63


def dns_label(value: str, max_len: int = _MAX) -> str:
    """``value`` as a DNS-1123 label (unchanged when it already is one)."""
    if len(value) <= max_len and _LABEL_RE.fullmatch(value):
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "x"
    return f"{cleaned[: max_len - 9].rstrip('-')}-{digest}"


def tenant_namespace(tenant: str) -> str:
    """The namespace of ``tenant``: ``tenant-<name>``."""
    return "tenant-" + dns_label(tenant, _MAX - len("tenant-"))
