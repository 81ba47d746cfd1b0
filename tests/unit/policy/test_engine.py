import pytest

from hexr_policy import PolicyEngine, PolicyError

POLICY = """
package hexr.test
import rego.v1

default allow := false

allow if {
    input.tenant == data.tenants[_]
    startswith(input.spiffe_id, concat("/", ["spiffe://hexr.local/agent", input.tenant, ""]))
}
"""


def engine() -> PolicyEngine:
    return PolicyEngine({"test.rego": POLICY}, "data.hexr.test.allow", {"tenants": ["acme"]})


def test_allows_matching_request() -> None:
    assert engine().allows({"tenant": "acme", "spiffe_id": "spiffe://hexr.local/agent/acme/a/main"})


@pytest.mark.parametrize(
    "request_",
    [
        {"tenant": "other", "spiffe_id": "spiffe://hexr.local/agent/other/a/main"},
        {"tenant": "acme", "spiffe_id": "spiffe://hexr.local/agent/other/a/main"},
        {},
        {"tenant": 5},
    ],
)
def test_denies_false_and_undefined(request_: dict[str, object]) -> None:
    assert engine().allows(request_) is False


def test_non_json_input_denies() -> None:
    assert engine().allows({"tenant": object()}) is False


def test_compile_error_is_config_error() -> None:
    with pytest.raises(PolicyError, match="does not compile"):
        PolicyEngine({"bad.rego": "package x\nallow if {"}, "data.x.allow")


def test_rule_must_be_data_reference() -> None:
    with pytest.raises(PolicyError):
        PolicyEngine({"t.rego": POLICY}, "input.allow")
