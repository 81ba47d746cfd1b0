"""Rules for metric label names: bounded cardinality only.

A label whose values grow with traffic (user ids, task ids, prompts) multiplies the number
of time series without bound and can take Prometheus down, so such names are refused in
configured constant labels and must never be used by Hexr's own instruments.
"""

from __future__ import annotations

import re

__all__ = [
    "HEXR_METRIC_LABELS",
    "MAX_CONST_LABELS",
    "MAX_LABEL_VALUE_LENGTH",
    "check_const_labels",
    "is_unbounded_label",
]

MAX_CONST_LABELS = 16
MAX_LABEL_VALUE_LENGTH = 128

HEXR_METRIC_LABELS = frozenset(
    {"tenant", "agent", "agent_name", "service", "tier", "model", "status", "stage",
     "component", "direction", "scanner", "provider", "framework", "operation", "target_agent"}
)
"""Labels Hexr's instruments set; a constant label of the same name would collide."""

_PROMETHEUS_RESERVED = frozenset({"le", "quantile", "job", "instance"})

# Words whose values are per request, per user or per object: unbounded by nature.
_UNBOUNDED_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "user", "username", "userid", "email", "session",
     "sessionid", "task", "taskid", "request", "requestid", "trace", "traceid", "span",
     "spanid", "conversation", "thread", "message", "prompt", "query", "url", "uri", "ip",
     "token", "timestamp", "nonce", "correlation"}
)

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


# Identifiers whose values are bounded by the deployment, not by traffic.
_BOUNDED_IDS = frozenset({"spiffe_id"})


def is_unbounded_label(name: str) -> bool:
    """Whether a label name denotes values of unbounded cardinality (ids, users, prompts).

    The last word names what the label holds (``user_id`` holds ids, ``request_model``
    holds models), so that is the word judged.
    """
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    words = [word for word in re.split(r"[_\W]+", snake) if word]
    if not words or any(snake.endswith(bounded) for bounded in _BOUNDED_IDS):
        return False
    return words[-1] in _UNBOUNDED_WORDS


def check_const_labels(labels: dict[str, str]) -> dict[str, str]:
    """Validate constant labels and return them unchanged.

    Raises:
        ValueError: naming the offending label.
    """
    if len(labels) > MAX_CONST_LABELS:
        raise ValueError(f"at most {MAX_CONST_LABELS} constant labels are allowed")
    for name, value in labels.items():
        if not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
            raise ValueError(f"label {name!r} is not a valid Prometheus label name")
        if name in _PROMETHEUS_RESERVED or name in HEXR_METRIC_LABELS:
            raise ValueError(f"label {name!r} is reserved (set by Prometheus or by Hexr)")
        if is_unbounded_label(name):
            raise ValueError(
                f"label {name!r} has unbounded cardinality (ids, users, prompts); refused"
            )
        if not value or len(value) > MAX_LABEL_VALUE_LENGTH or not value.isprintable():
            raise ValueError(
                f"label {name!r} needs a printable value of 1..{MAX_LABEL_VALUE_LENGTH} chars"
            )
    return labels
