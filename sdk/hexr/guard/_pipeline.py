"""One policy's scanners, run on prompt parts or output text, with spans and metrics.

Verdicts come from the scanners' ``is_valid``. Their sanitized text is used only for
``action: redact``, and only after the same scanner passes it: LLM Guard's Secrets
redaction can emit the secret back (its replacement depends on set ordering, i.e. on
``PYTHONHASHSEED``), so an unclean redaction blocks instead of leaking.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

from hexr.guard._policy import GuardPolicy, ScannerSpec
from hexr.guard._scanners import TextScanner, build_scanner
from hexr.guard._telemetry import BLOCKS, DURATION, SCANS, TRACER
from hexr.logs import scrub_text
from hexr.telemetry import _names as n

__all__ = ["Pipeline", "Verdict"]

_log = logging.getLogger("hexr.guard")
_SECRETS_LOCK = threading.Lock()
"""detect-secrets (under Secrets) swaps process-global settings per scan: one at a time."""
_UNAVAILABLE = "scanner unavailable"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one scan."""

    valid: bool
    texts: tuple[str, ...]
    """The scanned texts, with redactions applied (the input when nothing was redacted)."""
    fired: tuple[str, ...]
    """Scanners that blocked."""
    redacted: tuple[str, ...]
    reason: str = ""


class Pipeline:
    """The scanners of one policy, built on first use (or by `warm_up`)."""

    def __init__(self, policy: GuardPolicy) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._built: dict[str, list[tuple[ScannerSpec, TextScanner | None]]] = {}

    def warm_up(self) -> None:
        """Import and construct every scanner, and run each once (detectors load lazily)."""
        for direction in ("prompt", "output"):
            for spec, scanner in self._scanners(direction):
                if scanner is not None:
                    try:
                        _scan_one(spec.type, scanner, "warm-up")
                    except Exception:  # noqa: BLE001 - a failing scanner fails at scan time
                        _log.warning("guard scanner failed its warm-up scan")

    def _scanners(self, direction: str) -> list[tuple[ScannerSpec, TextScanner | None]]:
        found = self._built.get(direction)
        if found is not None:
            return found
        with self._lock:
            found = self._built.get(direction)
            if found is None:
                specs = self.policy.prompt if direction == "prompt" else self.policy.output
                found = [(spec, _build(spec)) for spec in specs]
                self._built[direction] = found
        return found

    def scan(
        self,
        direction: str,
        texts: Sequence[str],
        labels: dict[str, str],
        *,
        allow_redact: bool = True,
    ) -> Verdict:
        """Scan ``texts`` (prompt parts, or one output window) in a ``hexr.guard.scan`` span."""
        started = perf_counter()
        with TRACER.start_as_current_span(n.SPAN_GUARD_SCAN) as span:
            verdict = self._scan(direction, list(texts), labels, allow_redact)
            elapsed = perf_counter() - started
            if span.is_recording():
                span.set_attributes(
                    {
                        **labels,
                        n.ATTR_GUARD_SCAN_TYPE: direction,
                        n.ATTR_GUARD_IS_VALID: verdict.valid,
                        n.ATTR_GUARD_SCANNER: ",".join(verdict.fired or verdict.redacted) or "none",
                        n.ATTR_GUARD_DURATION_MS: elapsed * 1000,
                    }
                )
                if verdict.redacted:
                    span.set_attribute(n.ATTR_GUARD_REDACTED, ",".join(verdict.redacted))
        DURATION.record(elapsed, {**labels, n.ATTR_GUARD_DIRECTION: direction})
        return verdict

    def _scan(
        self, direction: str, texts: list[str], labels: dict[str, str], allow_redact: bool
    ) -> Verdict:
        limit = self.policy.max_text_chars
        if any(len(text) > limit for text in texts):
            return self._blocked(direction, labels, texts, ("TextLimit",), (), "text too long")
        fail_open = self.policy.fail == "open"
        fired: list[str] = []
        redacted: list[str] = []
        for spec, scanner in self._scanners(direction):
            name = spec.type
            SCANS.add(1, {**labels, n.ATTR_GUARD_DIRECTION: direction, n.ATTR_GUARD_SCANNER: name})
            if scanner is None:
                if fail_open:
                    continue
                return self._blocked(direction, labels, texts, (name,), (), _UNAVAILABLE)
            # TokenLimit bounds the whole prompt; the other scanners judge each part.
            parts = ["\n".join(texts)] if name == "TokenLimit" and len(texts) > 1 else texts
            for index, text in enumerate(parts):
                try:
                    sanitized, valid, _ = _scan_one(name, scanner, text)
                except Exception:  # noqa: BLE001 - a scanner crash is a verdict per policy
                    _log.warning("guard scanner %s failed", name)
                    if fail_open:
                        continue
                    return self._blocked(direction, labels, texts, (name,), (), _UNAVAILABLE)
                if valid:
                    continue
                if spec.action == "redact" and allow_redact and parts is texts:
                    clean = _checked_redaction(name, scanner, text, sanitized)
                    if clean is not None:
                        texts[index] = clean
                        if name not in redacted:
                            redacted.append(name)
                        continue
                if name not in fired:
                    fired.append(name)
        if fired:
            return self._blocked(direction, labels, texts, tuple(fired), tuple(redacted), "")
        return Verdict(True, tuple(texts), (), tuple(redacted))

    def _blocked(
        self,
        direction: str,
        labels: dict[str, str],
        texts: list[str],
        fired: tuple[str, ...],
        redacted: tuple[str, ...],
        reason: str,
    ) -> Verdict:
        for name in fired:
            BLOCKS.add(1, {**labels, n.ATTR_GUARD_DIRECTION: direction, n.ATTR_GUARD_SCANNER: name})
        return Verdict(False, tuple(texts), fired, redacted, reason)


def _scan_one(name: str, scanner: TextScanner, text: str) -> tuple[str, bool, float]:
    if name == "Secrets":
        with _SECRETS_LOCK:
            return scanner.scan(text)
    return scanner.scan(text)


def _checked_redaction(
    name: str, scanner: TextScanner, original: str, sanitized: str
) -> str | None:
    """``sanitized`` if the scanner finds nothing left in it, else None (block instead)."""
    if sanitized == original or _has_credential_shape(sanitized):
        return None  # nothing replaced, or a credential shape Hexr knows is still there
    try:
        _, valid, _ = _scan_one(name, scanner, sanitized)
    except Exception:  # noqa: BLE001 - an unverifiable redaction is not used
        return None
    return sanitized if valid else None


def _has_credential_shape(text: str, piece: int = 4096, overlap: int = 512) -> bool:
    """Whether Hexr's own log scrubber would mask something in ``text`` (checked in pieces)."""
    for start in range(0, max(len(text), 1), piece):
        chunk = text[max(0, start - overlap) : start + piece]
        if scrub_text(chunk) != chunk:
            return True
    return False


def _build(spec: ScannerSpec) -> TextScanner | None:
    try:
        return build_scanner(spec)
    except Exception:  # noqa: BLE001 - the policy's fail mode decides (open/closed)
        _log.warning("guard scanner %s could not be loaded", spec.type, exc_info=True)
        return None
