"""The browser's fixed action set, validated before anything runs.

Elements are addressed by snapshot references (``e1``, ``e2``, ...) that `browse` assigns
to the page's interactive elements after each navigation: an agent never passes a CSS
selector or script, only a reference it was shown.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "MAX_ACTIONS",
    "Action",
    "Click",
    "ExtractText",
    "Fill",
    "Navigate",
    "Press",
    "Screenshot",
    "Scroll",
    "Select",
    "WaitFor",
    "parse_actions",
]

MAX_ACTIONS = 32
_Ref = Annotated[str, Field(pattern=r"^e[0-9]{1,4}$")]
_Text = Annotated[str, Field(max_length=4000)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Navigate(_Base):
    """Load a URL (http/https only; egress-checked)."""

    action: Literal["navigate"]
    url: Annotated[str, Field(max_length=2048, pattern=r"^https?://")]


class Click(_Base):
    """Click the element ``ref``."""

    action: Literal["click"]
    ref: _Ref


class Fill(_Base):
    """Type ``value`` into the input ``ref``."""

    action: Literal["fill"]
    ref: _Ref
    value: _Text


class Select(_Base):
    """Choose ``value`` in the select ``ref``."""

    action: Literal["select"]
    ref: _Ref
    value: _Text


class Press(_Base):
    """Press a key (``Enter``, ``Tab``, ...) in the element ``ref``."""

    action: Literal["press"]
    ref: _Ref
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+]{1,32}$")]


class WaitFor(_Base):
    """Wait until ``ref`` is visible or ``text`` appears (at most ``timeout_ms``)."""

    action: Literal["wait_for"]
    ref: _Ref | None = None
    text: Annotated[str, Field(max_length=200)] | None = None
    timeout_ms: Annotated[int, Field(ge=1, le=10_000)] = 5_000


class Scroll(_Base):
    """Scroll the page by ``dy`` pixels."""

    action: Literal["scroll"]
    dy: Annotated[int, Field(ge=-100_000, le=100_000)] = 800


class ExtractText(_Base):
    """The visible text of ``ref`` or of the whole page (returned as untrusted)."""

    action: Literal["extract_text"]
    ref: _Ref | None = None


class Screenshot(_Base):
    """A PNG of the viewport."""

    action: Literal["screenshot"]


Action = Annotated[
    Navigate | Click | Fill | Select | Press | WaitFor | Scroll | ExtractText | Screenshot,
    Field(discriminator="action"),
]
_ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(
    Annotated[list[Action], Field(max_length=MAX_ACTIONS)]
)


def parse_actions(actions: object) -> list[Action]:
    """Validate a list of action dicts (raises pydantic's ``ValidationError``)."""
    return _ACTIONS.validate_python(actions)
