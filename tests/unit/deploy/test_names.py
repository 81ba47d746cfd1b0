"""Kubernetes names for Hexr names: kept when valid, else cleaned and made unique."""

import pytest

from hexr_deploy import dns_label, tenant_namespace


def test_valid_labels_are_kept():
    assert dns_label("research-crew") == "research-crew"
    assert tenant_namespace("acme") == "tenant-acme"


def test_other_names_become_distinct_valid_labels():
    a, b = dns_label("Acme.Co"), dns_label("acme-co")
    assert a != b
    assert a.startswith("acme-co-")
    long = dns_label("x" * 200)
    assert len(long) <= 63
    assert dns_label("___") != dns_label("--")


@pytest.mark.parametrize("tenant", ["Acme", "acme.co", "a" * 57, "-acme", ""])
def test_tenants_that_cannot_name_a_namespace_are_refused(tenant):
    with pytest.raises(ValueError, match="cannot name a Kubernetes namespace"):
        tenant_namespace(tenant)
