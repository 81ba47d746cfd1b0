from typing import Any

import pytest

from hexr.logs import Redactor, is_secret_key, scrub_text
from hexr.redact import CONTENT_PLACEHOLDER, MAX_ITEMS, MAX_STRING, REDACTED


@pytest.mark.parametrize(
    "key",
    ["password", "api_key", "apiKey", "Authorization", "x-api-key", "client_secret",
     "access_token", "refresh_token", "secret", "AWS_SECRET_ACCESS_KEY", "private_key",
     "set-cookie", "db_password"],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["input_tokens", "output_tokens", "tenant", "spiffe_id", "trace_id", "keyboard",
            "model", "event"],
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("auth header was Bearer abcdefghijklmnop123", "abcdefghijklmnop123"),
        ("Basic cHJvbTpzM2NyZXQxMjM=", "cHJvbTpzM2NyZXQxMjM="),
        ("jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmUifQ.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
        ("key sk-proj-ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOPQRSTUV"),
        ("key sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUV", "ABCDEFGHIJKLMNOPQRSTUV"),
        ("aws AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE"),
        ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("vault hvs.CAESIJabcdefghijklmnopqrstuvwx", "hvs.CAESIJabcdefghijklmnopqrstuvwx"),
        ("dsn postgres://app:hunter22@db:5432/x", "hunter22"),
        ("retry with password=hunter22 now", "hunter22"),
        ('config api_key: "abc123xyz"', "abc123xyz"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
         "MIIEvQIBADANBg"),
        # JSON bodies and dict reprs quoted in errors: the key's closing quote comes first.
        ('token endpoint said {"access_token": "at-9f8e7d6c5b4a", "expires_in": 300}',
         "at-9f8e7d6c5b4a"),
        ("{'password': 'hunter22hunter22'}", "hunter22hunter22"),
        ('{"client_secret":"cs-0a1b2c3d4e"}', "cs-0a1b2c3d4e"),
        # Compound names end in the secret word.
        ("refresh_token=rt-5566778899 failed", "rt-5566778899"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCY", "wJalrXUtnFEMIK7MDENGbPxRfiCY"),
        ("db.password: pw-00112233", "pw-00112233"),
        # A header with a scheme the bearer/basic shapes do not know.
        ("sent Authorization: Token tk-abcdefabcdef", "tk-abcdefabcdef"),
    ],
)
def test_credential_shapes_in_text_are_masked(text: str, leak: str) -> None:
    scrubbed = scrub_text(text)
    assert leak not in scrubbed
    assert REDACTED in scrubbed


def test_plain_text_is_kept() -> None:
    text = "fetched credential for service aws_s3 region eu-west-1 in 3 ms (cache L2)"
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "usage input_tokens: 12, output_tokens: 30, max_tokens=100",
        '{"token_count": 5, "password_hint": "your pet"}',
    ],
)
def test_counts_and_hints_named_after_secrets_are_kept(text: str) -> None:
    assert scrub_text(text) == text


def test_scrubbing_a_long_word_run_stays_fast() -> None:
    import time

    text = "token " + "a" * (MAX_STRING - 10)
    started = time.perf_counter()
    scrub_text(text)
    assert time.perf_counter() - started < 0.05


def test_long_strings_are_truncated() -> None:
    assert len(scrub_text("x" * (MAX_STRING * 2))) < MAX_STRING + 50


def _run(redactor: Redactor, **event: Any) -> dict[str, Any]:
    return dict(redactor(None, "info", dict(event)))


def test_secret_fields_are_redacted_and_counts_kept() -> None:
    out = _run(
        Redactor(), event="call", api_key="sk-live-123", headers={"Authorization": "x"},
        input_tokens=12, password=None,
    )
    assert out["api_key"] == REDACTED
    assert out["headers"] == {"Authorization": REDACTED}
    assert out["input_tokens"] == 12
    assert out["password"] is None


def test_content_is_dropped_unless_captured() -> None:
    event = {"event": "llm call", "prompt": "my SSN is 123", "messages": [{"role": "user"}]}
    off = _run(Redactor(capture_content=False), **event)
    assert off["prompt"] == CONTENT_PLACEHOLDER
    assert off["messages"] == CONTENT_PLACEHOLDER
    on = _run(Redactor(capture_content=True), **event)
    assert on["prompt"] == "my SSN is 123"
    assert on["messages"] == [{"role": "user"}]
    # Secrets stay redacted even with content capture on.
    assert _run(Redactor(capture_content=True), prompt="use Bearer abcdefghijkl1234")[
        "prompt"
    ] == f"use Bearer {REDACTED}"


def test_nesting_and_sizes_are_bounded() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(20):
        node["child"] = {}
        node = node["child"]
    out = _run(Redactor(), deep=deep, many=list(range(1000)), blob=b"\x00" * 10,
               obj=object())
    text = repr(out["deep"])
    assert "[nested too deep]" in text
    assert len(out["many"]) == MAX_ITEMS
    assert out["blob"] == "<10 bytes>"
    assert out["obj"].startswith("<object object")


class _CountingMapping(dict[str, int]):
    """A big mapping that counts how many of its items were read."""

    read = 0

    def items(self) -> Any:
        for item in super().items():
            type(self).read += 1
            yield item


def test_only_the_kept_items_of_a_huge_value_are_read() -> None:
    huge = _CountingMapping((f"k{i}", i) for i in range(100_000))
    out = _run(Redactor(), big=huge)
    assert len(out["big"]) == MAX_ITEMS
    assert _CountingMapping.read <= MAX_ITEMS + 1  # not a copy of all 100 000
