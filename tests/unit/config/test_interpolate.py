import pytest

from hexr.config._interpolate import InterpolationError, interpolate


def test_variables_are_replaced() -> None:
    env = {"TOKEN": "s3cr3t", "HOST": "otel"}
    assert interpolate("Bearer ${TOKEN}@${HOST}", env) == "Bearer s3cr3t@otel"


def test_default_applies_only_when_unset() -> None:
    assert interpolate("${A:-fallback}", {}) == "fallback"
    assert interpolate("${A:-fallback}", {"A": "set"}) == "set"
    assert interpolate("${A:-}", {}) == ""


def test_double_dollar_is_a_literal() -> None:
    assert interpolate("cost $$5 ${X}", {"X": "y"}) == "cost $5 y"


def test_plain_text_is_untouched() -> None:
    assert interpolate("no refs $HOME here", {}) == "no refs $HOME here"


def test_unset_variable_is_named_in_the_error() -> None:
    with pytest.raises(InterpolationError, match="OTLP_TOKEN is not set"):
        interpolate("Bearer ${OTLP_TOKEN}", {})


@pytest.mark.parametrize("text", ["${1BAD}", "${}", "${UNCLOSED"])
def test_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(InterpolationError, match="malformed"):
        interpolate(text, {})


def test_a_malformed_reference_is_not_echoed() -> None:
    # A literal "${" inside a generated password is the typical case: never quote it.
    with pytest.raises(InterpolationError) as raised:
        interpolate("pa${ss-w0rd-0f-the-scraper", {})
    assert "w0rd" not in str(raised.value)
    assert "$$" in str(raised.value)  # says how to write a literal dollar sign
