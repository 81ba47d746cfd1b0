"""The agent side of A2A: what an agent function receives and may return or raise.

Pure dataclasses with no dependency on ``a2a-sdk``, so agent code imports them for free;
the sidecar converts them to and from the protocol's messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "A2ARequest",
    "AgentDeclaration",
    "Artifact",
    "DataPart",
    "FilePart",
    "InputRequired",
    "Message",
    "Part",
    "Skill",
    "TaskFailed",
    "TaskRejected",
    "TextPart",
    "declaration_of",
    "serves_a2a",
]

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__hexr_a2a__"


@dataclass(frozen=True, slots=True)
class TextPart:
    """Plain text."""

    text: str


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file, either inline bytes or a URL (exactly one of them)."""

    data: bytes | None = None
    url: str | None = None
    name: str = ""
    media_type: str = ""

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a FilePart has exactly one of data and url")


@dataclass(frozen=True, slots=True)
class DataPart:
    """Structured data (a JSON object)."""

    data: Mapping[str, Any]


Part = TextPart | FilePart | DataPart


@dataclass(frozen=True, slots=True)
class Artifact:
    """An output of a task: named parts of any kind."""

    parts: Sequence[Part]
    name: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """A direct answer with no task (only on a message that starts no task yet)."""

    parts: Sequence[Part]

    @classmethod
    def text(cls, text: str) -> Message:
        """A message of one text part."""
        return cls(parts=(TextPart(text),))


@dataclass(frozen=True, slots=True)
class A2ARequest:
    """One inbound A2A message, as the sidecar hands it to the agent function.

    Attributes:
        parts: The message's parts.
        task_id: The task this message belongs to.
        context_id: The conversation context.
        source_agent: The caller's agent name (from its verified SPIFFE ID), or ``""``.
        source_tenant: The caller's tenant, or ``""``.
        history: Texts of earlier messages of this task, oldest first (multi-turn).
    """

    parts: Sequence[Part]
    task_id: str
    context_id: str
    source_agent: str = ""
    source_tenant: str = ""
    history: Sequence[str] = ()

    @property
    def text(self) -> str:
        """The text parts joined by newlines."""
        return "\n".join(p.text for p in self.parts if isinstance(p, TextPart))


class InputRequired(Exception):
    """Raise to pause the task in input-required; the caller's next message resumes it."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


class TaskRejected(Exception):
    """Raise to reject the task (the agent will not do it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TaskFailed(Exception):
    """Raise to fail the task with a reason the caller may see."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill the agent card advertises."""

    id: str
    name: str
    description: str
    tags: Sequence[str] = ()
    examples: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class AgentDeclaration:
    """What ``serves_a2a`` records on an agent function."""

    description: str
    skills: Sequence[Skill] = field(default_factory=tuple)
    version: str = "1.0.0"
    direct_messages: bool = False


def serves_a2a(
    description: str,
    skills: Sequence[Skill] = (),
    version: str = "1.0.0",
    *,
    direct_messages: bool = False,
) -> Callable[[F], F]:
    """Declare that an (``@hexr_agent``) function serves A2A through its sidecar.

    By default each new message opens a task that is visible (submitted, then working)
    while the function runs. With ``direct_messages`` the function runs first, so it may
    answer with a `Message` and no task; a task appears only when it returns anything else.
    """
    declaration = AgentDeclaration(
        description=description,
        skills=tuple(skills),
        version=version,
        direct_messages=direct_messages,
    )

    def mark(func: F) -> F:
        setattr(func, _ATTRIBUTE, declaration)
        return func

    return mark


def declaration_of(func: Callable[..., Any]) -> AgentDeclaration | None:
    """The ``serves_a2a`` declaration of ``func``, if it has one."""
    found = getattr(func, _ATTRIBUTE, None)
    return found if isinstance(found, AgentDeclaration) else None
