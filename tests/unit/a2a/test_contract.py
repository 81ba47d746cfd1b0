"""The agent-side contract, part conversion and registry entries."""

from __future__ import annotations

import json
import time

import pytest

from hexr.a2a import (
    Artifact,
    DataPart,
    FilePart,
    RegistryEntry,
    Skill,
    TextPart,
    declaration_of,
    from_proto_parts,
    live_entries,
    serves_a2a,
    to_proto_parts,
)


def test_file_part_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FilePart()
    with pytest.raises(ValueError, match="exactly one"):
        FilePart(data=b"x", url="https://example.com")


def test_parts_round_trip_through_protobuf() -> None:
    parts = (
        TextPart("hi"),
        FilePart(data=b"\x00\xff", name="a.bin", media_type="application/octet-stream"),
        FilePart(url="https://example.com/r.pdf", name="r.pdf", media_type="application/pdf"),
        DataPart({"a": [1, "x"], "b": {"c": True}}),
    )
    assert from_proto_parts(to_proto_parts(parts)) == parts


def test_serves_a2a_records_a_declaration() -> None:
    @serves_a2a("does things", skills=[Skill(id="s", name="S", description="d")])
    def agent(request: object) -> str:
        return "x"

    declaration = declaration_of(agent)
    assert declaration is not None
    assert declaration.skills[0].id == "s"
    assert not declaration.direct_messages
    assert declaration_of(lambda r: r) is None
    assert Artifact(parts=(TextPart("t"),)).name == ""


def test_live_entries_skip_expired_and_malformed() -> None:
    now = time.time()
    fresh = RegistryEntry("https://a", "spiffe://td/agent/t/a/a2a").dumps(ttl_s=5)
    stale = json.dumps({"url": "https://b", "spiffe_id": "x", "expires_at": now - 1})
    fields = {b"r1": fresh.encode(), b"r2": stale.encode(), b"r3": b"{not json", b"r4": b"[]"}
    assert [e.url for e in live_entries(fields, now=now)] == ["https://a"]
