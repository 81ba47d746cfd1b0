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


def test_rule_without_default_denies_instead_of_aborting() -> None:
    # regopy aborts the interpreter process when an undefined binding is read; the engine
    # must answer False for a rule that has no default and does not match.
    no_default = "package hexr.nodefault\nimport rego.v1\nallow if { input.a == 1 }\n"
    engine = PolicyEngine({"n.rego": no_default}, "data.hexr.nodefault.allow")
    assert engine.allows({"a": 2}) is False
    assert engine.allows({"a": 1}) is True


def test_non_boolean_decision_denies() -> None:
    engine = PolicyEngine({"s.rego": "package hexr.s\nallow := \"yes\"\n"}, "data.hexr.s.allow")
    assert engine.allows({}) is False
