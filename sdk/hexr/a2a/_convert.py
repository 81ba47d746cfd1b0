"""Between Hexr's part dataclasses and a2a-sdk's protobuf ``Part`` (imported lazily)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]

from hexr.a2a._contract import DataPart, FilePart, Part, TextPart

__all__ = ["from_proto_parts", "to_proto_parts"]


def to_proto_parts(parts: Sequence[Part]) -> list[Any]:
    """a2a-sdk ``Part`` messages for ``parts``."""
    from a2a.types import Part as ProtoPart

    out: list[Any] = []
    for part in parts:
        if isinstance(part, TextPart):
            out.append(ProtoPart(text=part.text))
        elif isinstance(part, FilePart):
            proto = (
                ProtoPart(raw=part.data) if part.data is not None else ProtoPart(url=part.url or "")
            )
            proto.filename = part.name
            proto.media_type = part.media_type
            out.append(proto)
        else:
            value = struct_pb2.Value()
            json_format.ParseDict(dict(part.data), value.struct_value)
            out.append(ProtoPart(data=value, media_type="application/json"))
    return out


def from_proto_parts(parts: Iterable[Any]) -> tuple[Part, ...]:
    """Hexr parts for a2a-sdk ``Part`` messages (unknown kinds are skipped)."""
    out: list[Part] = []
    for proto in parts:
        kind = proto.WhichOneof("content")
        if kind == "text":
            out.append(TextPart(proto.text))
        elif kind == "raw":
            out.append(FilePart(data=proto.raw, name=proto.filename, media_type=proto.media_type))
        elif kind == "url":
            out.append(FilePart(url=proto.url, name=proto.filename, media_type=proto.media_type))
        elif kind == "data":
            value = json_format.MessageToDict(proto.data)
            out.append(DataPart(value if isinstance(value, dict) else {"value": value}))
    return tuple(out)
