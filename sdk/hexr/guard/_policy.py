"""Guard policies: which LLM Guard scanners run on prompts and outputs, per tenant and agent.

A policy is YAML::

    fail: closed            # a scanner that cannot load or run blocks (open: it is skipped)
    stream_holdback: 256    # characters of streamed output held back until scanned
    prompt:
      - {type: Secrets, action: redact}
      - {type: BanSubstrings, options: {substrings: ["ignore previous instructions"]}}
    output:
      - {type: Secrets}

``HEXR_GUARD_POLICY`` names one file, or a directory searched for ``<tenant>/<agent>.yaml``,
then ``<tenant>.yaml``, then ``default.yaml``; nothing found gives `default_policy`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hexr import _env
from hexr.errors import ConfigError

__all__ = [
    "MODEL_SCANNERS",
    "OFFLINE_SCANNERS",
    "GuardPolicy",
    "ScannerSpec",
    "default_policy",
    "load_policy",
    "policy_path_for",
]

OFFLINE_SCANNERS = ("BanSubstrings", "InvisibleText", "Regex", "Secrets", "TokenLimit")
"""Scanners that need no model: the default pipeline."""
MODEL_SCANNERS = ("BanTopics", "Gibberish", "Language", "PromptInjection", "Toxicity")
"""Scanners that need a transformer model: only with a local ``model_path``."""
_REDACTABLE = ("BanSubstrings", "Regex", "Secrets")
_OPTIONS: dict[str, frozenset[str]] = {
    "BanSubstrings": frozenset({"substrings", "match_type", "case_sensitive", "contains_all"}),
    "InvisibleText": frozenset(),
    "Regex": frozenset({"patterns", "match_type", "is_blocked"}),
    "Secrets": frozenset({"redact_mode"}),
    "TokenLimit": frozenset({"limit", "encoding_name"}),
    "BanTopics": frozenset({"topics", "threshold"}),
    "Gibberish": frozenset({"threshold"}),
    "Language": frozenset({"valid_languages", "threshold"}),
    "PromptInjection": frozenset({"threshold"}),
    "Toxicity": frozenset({"threshold"}),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "BanSubstrings": ("substrings",),
    "Regex": ("patterns",),
    "BanTopics": ("topics",),
    "Language": ("valid_languages",),
}
_MAX_LIST = 512
_MAX_ITEM_CHARS = 1024
_CACHE_LIMIT = 64

# The default pipeline: prompt-injection phrases and the credential shapes Hexr protects,
# in addition to detect-secrets' detectors (two independent verdicts on the same risk).
DEFAULT_BANNED = (
    "ignore previous instructions",
    "ignore all previous instructions",
    "disregard previous instructions",
    "disregard all previous instructions",
)
DEFAULT_PATTERNS = (
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
)


class ScannerSpec(BaseModel):
    """One scanner of a pipeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal[
        "BanSubstrings",
        "InvisibleText",
        "Regex",
        "Secrets",
        "TokenLimit",
        "BanTopics",
        "Gibberish",
        "Language",
        "PromptInjection",
        "Toxicity",
    ]
    action: Literal["block", "redact"] = "block"
    """``redact``: a finding is replaced (prompt and complete responses), not blocked."""
    options: dict[str, Any] = Field(default_factory=dict)
    model_path: str | None = None
    """Local directory of the model (model scanners only; nothing is downloaded)."""

    @model_validator(mode="after")
    def _check(self) -> ScannerSpec:
        allowed = _OPTIONS[self.type]
        unknown = sorted(set(self.options) - allowed)
        if unknown:
            raise ValueError(f"{self.type}: unknown options {unknown}")
        missing = [key for key in _REQUIRED.get(self.type, ()) if not self.options.get(key)]
        if missing:
            raise ValueError(f"{self.type}: missing options {missing}")
        for key, value in self.options.items():
            if isinstance(value, list) and (
                len(value) > _MAX_LIST
                or any(not isinstance(v, str) or len(v) > _MAX_ITEM_CHARS for v in value)
            ):
                raise ValueError(f"{self.type}.{key}: at most {_MAX_LIST} short strings")
        if self.action == "redact" and self.type not in _REDACTABLE:
            raise ValueError(f"{self.type} cannot redact; use action: block")
        if self.type in MODEL_SCANNERS and not self.model_path:
            raise ValueError(f"{self.type} needs model_path (a local model directory)")
        if self.type not in MODEL_SCANNERS and self.model_path:
            raise ValueError(f"{self.type} takes no model_path")
        return self


def _default_prompt() -> list[ScannerSpec]:
    return [
        ScannerSpec(type="Secrets"),
        ScannerSpec(type="InvisibleText"),
        ScannerSpec(type="BanSubstrings", options={"substrings": list(DEFAULT_BANNED)}),
        ScannerSpec(type="Regex", options={"patterns": list(DEFAULT_PATTERNS)}),
        ScannerSpec(type="TokenLimit", options={"limit": 4096}),
    ]


def _default_output() -> list[ScannerSpec]:
    return [
        ScannerSpec(type="Secrets"),
        ScannerSpec(type="InvisibleText"),
        ScannerSpec(type="BanSubstrings", options={"substrings": list(DEFAULT_BANNED)}),
        ScannerSpec(type="Regex", options={"patterns": list(DEFAULT_PATTERNS)}),
    ]


class GuardPolicy(BaseModel):
    """Scanners per direction and how failures are treated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail: Literal["closed", "open"] = "closed"
    stream_holdback: int = Field(default=256, ge=16, le=65_536)
    max_text_chars: int = Field(default=200_000, ge=1, le=10_000_000)
    """Longer prompt parts or outputs are blocked unscanned (scanning cost is bounded)."""
    prompt: list[ScannerSpec] = Field(default_factory=_default_prompt, max_length=32)
    output: list[ScannerSpec] = Field(default_factory=_default_output, max_length=32)


def default_policy() -> GuardPolicy:
    """The offline default: Secrets, InvisibleText, BanSubstrings, Regex, TokenLimit (prompts)."""
    return GuardPolicy()


_cache: dict[tuple[str, float], GuardPolicy] = {}


def load_policy(path: str | os.PathLike[str]) -> GuardPolicy:
    """Read and validate a policy file (cached by path and mtime, bounded)."""
    file = Path(path)
    try:
        key = (str(file), file.stat().st_mtime)
    except OSError as exc:
        raise ConfigError(f"guard policy {file}: {exc.strerror}") from None
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        policy = GuardPolicy.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"guard policy {file}: unreadable ({type(exc).__name__})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"guard policy {file}: {where}: {first['msg']}") from None
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = policy
    return policy


def policy_path_for(tenant: str, agent: str, setting: str | None = None) -> Path | None:
    """The policy file for ``tenant``/``agent`` under ``HEXR_GUARD_POLICY`` (None: default)."""
    value = setting if setting is not None else os.environ.get(_env.HEXR_GUARD_POLICY, "")
    if not value:
        return None
    root = Path(value)
    if not root.is_dir():
        return root
    # Names come from agent metadata: never let them walk out of the policy directory.
    candidates = []
    if _safe(tenant) and _safe(agent):
        candidates.append(root / tenant / f"{agent}.yaml")
    if _safe(tenant):
        candidates.append(root / f"{tenant}.yaml")
    candidates.append(root / "default.yaml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def _safe(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
