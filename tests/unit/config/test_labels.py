import pytest

from hexr.config import check_const_labels, is_unbounded_label


@pytest.mark.parametrize(
    "name",
    ["user_id", "userId", "task_id", "request_id", "session", "trace_id", "prompt", "email",
     "conversation_id", "id", "client_ip", "customerUUID", "user_email", "thread"],
)
def test_unbounded_names_are_detected(name: str) -> None:
    assert is_unbounded_label(name)


@pytest.mark.parametrize(
    "name",
    ["environment", "region", "team", "cluster", "zone", "tier_x", "gen_ai_request_model",
     "gen_ai_token_type", "hexr_spiffe_id", "session_status", "task_state"],
)
def test_bounded_names_pass(name: str) -> None:
    assert not is_unbounded_label(name)


def test_valid_labels_are_returned() -> None:
    labels = {"environment": "prod", "region": "eu-west-1", "team": "payments"}
    assert check_const_labels(labels) == labels


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        ({"user_id": "1"}, "unbounded"),
        ({"tenant": "a"}, "reserved"),
        ({"le": "1"}, "reserved"),
        ({"__name__": "x"}, "not a valid"),
        ({"9lives": "x"}, "not a valid"),
        ({"bad-name": "x"}, "not a valid"),
        ({"environment": ""}, "printable value"),
        ({"environment": "x" * 129}, "printable value"),
        ({"environment": "a\nb"}, "printable value"),
        ({f"l{i}": "v" for i in range(17)}, "at most 16"),
    ],
)
def test_invalid_labels_are_refused(labels: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        check_const_labels(labels)
