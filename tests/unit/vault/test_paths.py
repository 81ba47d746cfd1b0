import pytest

from hexr.errors import VaultPathError
from hexr.vault._paths import MAX_PATH_CHARS, MAX_SEGMENTS, normalize_path, normalize_prefix


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("shared/db", "shared/db"),
        ("tenants/acme/shared/db", "shared/db"),
        ("agents/bot/a.b-c_d@e=f,g", "agents/bot/a.b-c_d@e=f,g"),
    ],
)
def test_accepts_and_normalizes(path: str, expected: str) -> None:
    assert normalize_path(path, "acme") == expected


@pytest.mark.parametrize(
    "path",
    [
        "", "/shared/db", "shared/", "shared//db", "shared/./db", "shared/../db", "..", ".",
        "tenants/globex/shared/db", "tenants/acme", "tenants/acme/", "tenants", "shared/d b",
        "shared/%2e%2e", "shared/*", "shared/+", "shared\\db", "shared/db\n", "shared/\x7f",
        "shared/é", "a" * (MAX_PATH_CHARS + 1), "/".join(["a"] * (MAX_SEGMENTS + 1)),
        "shared/" + "x" * 129,
    ],
)
def test_rejects(path: str) -> None:
    with pytest.raises(VaultPathError):
        normalize_path(path, "acme")


@pytest.mark.parametrize("path", [None, 5, b"shared/db", ["shared"]])
def test_rejects_non_strings(path: object) -> None:
    with pytest.raises(VaultPathError):
        normalize_path(path, "acme")


def test_tenant_names_follow_spiffe_segments() -> None:
    assert normalize_path("tenants/Acme.Corp/shared/db", "Acme.Corp") == "shared/db"
    with pytest.raises(VaultPathError):
        normalize_path("tenants/acme.corp/shared/db", "Acme.Corp")


def test_prefix_forms() -> None:
    assert normalize_prefix("", "acme") == ""
    assert normalize_prefix("shared", "acme") == "shared/"
    assert normalize_prefix("shared/x/", "acme") == "shared/x/"
    assert normalize_prefix("tenants/acme/shared", "acme") == "shared/"
    for bad in ("/", "//", "shared//", "tenants/globex/", "../", "/shared"):
        with pytest.raises(VaultPathError):
            normalize_prefix(bad, "acme")


@pytest.mark.parametrize("tenant", ["", ".", "..", "a/b", "a b", "a%b", "x" * 129])
def test_invalid_tenant_names(tenant: str) -> None:
    with pytest.raises(VaultPathError):
        normalize_path("shared/db", tenant)
