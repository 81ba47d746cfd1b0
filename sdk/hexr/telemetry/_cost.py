"""LLM call cost in US dollars, from an offline price table.

The shipped table (``prices.yaml``, next to this module) can be extended or overridden by
a user file (``HEXR_PRICES_FILE``). Cost is computed with `decimal.Decimal` so a call's
cost is exactly what the table says; it is recorded as a span attribute and as the
``hexr.llm.cost`` counter by tenant, agent and model. A model missing from the table is
never guessed: the call is counted in ``hexr.llm.unpriced_calls`` instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.metrics import Meter

from hexr.errors import ConfigError
from hexr.telemetry import _names as n
from hexr.telemetry import get_meter
from hexr.telemetry._instruments import CounterCells

__all__ = ["CostRecorder", "ModelPrice", "PriceTable", "cost_recorder", "default_price_table"]

MAX_PRICE_FILE_BYTES = 1 << 20
MAX_MODELS = 10_000
MAX_TOKENS = 10**9
_PER_TOKENS_DEFAULT = 1_000_000

# Dated snapshots and "-latest" aliases resolve to the base model's price.
_SNAPSHOT_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per token for one model (input, output, cached input)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal


class PriceTable:
    """Model name → `ModelPrice`; lookups resolve dated snapshots to their base model."""

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = {name.lower(): price for name, price in prices.items()}

    def __len__(self) -> int:
        return len(self._prices)

    @classmethod
    def load(cls, override: Path | None = None) -> PriceTable:
        """The shipped table, with ``override``'s models replacing or adding entries.

        Raises:
            ConfigError: a file is unreadable, too large or malformed (names file and model).
        """
        from importlib import resources  # at first use: importing it costs ~30 ms

        shipped = resources.files("hexr.telemetry").joinpath("prices.yaml").read_bytes()
        prices = _parse(shipped, "hexr/telemetry/prices.yaml")
        if override is not None:
            prices.update(_parse(_read(override), str(override)))
        return cls(prices)

    def lookup(self, model: str) -> ModelPrice | None:
        """Price of ``model`` (case-insensitive; provider prefix and date suffix ignored)."""
        name = model.strip().lower()
        price = self._prices.get(name)
        if price is None:
            name = name.rsplit("/", 1)[-1]
            price = self._prices.get(name) or self._prices.get(_SNAPSHOT_SUFFIX.sub("", name))
        return price

    def cost(
        self, model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
    ) -> Decimal | None:
        """USD cost of a call, or ``None`` when the model is not in the table.

        ``input_tokens`` includes the cached ones (OpenAI's usage semantics); counts are
        clamped to ``0..MAX_TOKENS`` so a bogus usage block cannot produce absurd costs.
        """
        price = self.lookup(model)
        if price is None:
            return None
        inputs = _clamp(input_tokens)
        cached = min(_clamp(cached_input_tokens), inputs)
        return (
            (inputs - cached) * price.input
            + cached * price.cached_input
            + _clamp(output_tokens) * price.output
        )


def _clamp(tokens: int) -> int:
    # Usage blocks come from the provider: anything not a sane count counts as zero.
    if isinstance(tokens, bool) or not isinstance(tokens, int | float):
        return 0
    if tokens != tokens or tokens <= 0:  # NaN, negative, -inf
        return 0
    return min(int(min(tokens, MAX_TOKENS)), MAX_TOKENS)


def _read(path: Path) -> bytes:
    from hexr.yamlfile import read_file  # yaml at first use, not at `import hexr`

    return read_file(path, "prices_file", MAX_PRICE_FILE_BYTES)


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: must be a number")
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into every cost.
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}: must be a number") from None
    if not number.is_finite() or number < 0:
        raise ConfigError(f"{where}: must be a finite, non-negative number")
    return number


def _parse(data: bytes, source: str) -> dict[str, ModelPrice]:
    from hexr.yamlfile import load_yaml  # yaml at first use, not at `import hexr`

    document = load_yaml(data, source)
    if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
        raise ConfigError(f"{source}: needs a 'models' mapping")
    currency = document.get("currency", "USD")
    if currency != "USD":
        raise ConfigError(f"{source}: currency: only USD is supported")
    per = document.get("per_tokens", _PER_TOKENS_DEFAULT)
    if isinstance(per, bool) or not isinstance(per, int) or per <= 0:
        raise ConfigError(f"{source}: per_tokens: must be a positive integer")
    models: dict[str, Any] = document["models"]
    if len(models) > MAX_MODELS:
        raise ConfigError(f"{source}: at most {MAX_MODELS} models")
    prices: dict[str, ModelPrice] = {}
    for name, entry in models.items():
        where = f"{source}: models.{name}"
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ConfigError(f"{where}: model names must be non-empty strings")
        if not isinstance(entry, dict) or not {"input", "output"} <= entry.keys():
            raise ConfigError(f"{where}: needs 'input' and 'output' prices")
        unknown = entry.keys() - {"input", "output", "cached_input"}
        if unknown:
            raise ConfigError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        unit = Decimal(per)
        input_price = _decimal(entry["input"], f"{where}.input") / unit
        cached = entry.get("cached_input")
        prices[name] = ModelPrice(
            input=input_price,
            output=_decimal(entry["output"], f"{where}.output") / unit,
            cached_input=(
                input_price if cached is None else _decimal(cached, f"{where}.cached_input") / unit
            ),
        )
    return prices


_default: PriceTable | None = None
_default_lock = threading.Lock()


def default_price_table() -> PriceTable:
    """The process's table: shipped prices plus ``observability.prices_file``, loaded once.

    Raises:
        ConfigError: the override file or the observability config is invalid.
    """
    global _default
    with _default_lock:
        if _default is None:
            from hexr.config import get_observability_config

            _default = PriceTable.load(get_observability_config().prices_file)
        return _default


class CostRecorder:
    """Records call cost on the current span and in the cost counters (instruments once)."""

    def __init__(self, table: PriceTable | None = None, meter: Meter | None = None) -> None:
        self._table = table
        meter = meter or get_meter()
        # Counter cells: an add is a lock and a sum, reported when a reader collects.
        self._cost = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_COST,
            callbacks=[self._cost.observe],
            unit="usd",
            description="Cost of LLM calls in US dollars.",
        )
        self._unpriced = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_UNPRICED_CALLS,
            callbacks=[self._unpriced.observe],
            unit="{call}",
            description="LLM calls whose model is not in the price table (cost unknown).",
        )

    @property
    def table(self) -> PriceTable:
        """The price table in use (the process default unless one was given)."""
        if self._table is None:
            self._table = default_price_table()
        return self._table

    def record(
        self,
        span: trace.Span | None,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
        attributes: Mapping[str, str] | None = None,
    ) -> Decimal | None:
        """Price one call; set ``hexr.llm.cost_usd`` on ``span``; count it under ``attributes``.

        ``attributes`` are the metric labels (tenant, agent, model: bounded values only).

        Returns:
            The cost, or ``None`` for a model the table does not price.
        """
        cost = self.table.cost(model, input_tokens, output_tokens, cached_input_tokens)
        labels = attributes or {}
        recording = span is not None and span.is_recording()
        if cost is None:
            self._unpriced.cell(labels).inc()
            if recording:
                span.set_attribute(n.ATTR_LLM_UNPRICED, True)  # type: ignore[union-attr]
            return None
        amount = float(cost)
        self._cost.cell(labels).add(amount)
        if recording:
            span.set_attribute(n.ATTR_LLM_COST_USD, amount)  # type: ignore[union-attr]
        return cost


_recorder: CostRecorder | None = None


def cost_recorder() -> CostRecorder:
    """The process's recorder (shared instruments, default price table loaded now).

    Raises:
        ConfigError: the price file or observability config is invalid.
    """
    global _recorder
    with _default_lock:
        if _recorder is None:
            _recorder = CostRecorder()
        recorder = _recorder
    # Load the table now (outside the lock it also takes), so a bad price file fails when
    # a client is wrapped rather than on its first call.
    _ = recorder.table
    return recorder
