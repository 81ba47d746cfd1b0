import hexr.vault
import hexr_vault


def test_all_is_unique_and_importable() -> None:
    # Order is ruff's (RUF022, isort-style); here: no duplicates, nothing dangling.
    for module in (hexr.vault, hexr_vault):
        names = list(module.__all__)
        assert len(names) == len(set(names))
        assert all(hasattr(module, name) for name in names)


def test_module_functions_use_the_default_client() -> None:
    assert {"get", "put", "list", "encrypt", "decrypt"} <= set(hexr.vault.__all__)


def test_public_classes_present_the_public_module() -> None:
    # A traceback should name `hexr.vault.SecretNotFound`, never a private module path.
    for name in hexr.vault.__all__:
        value = getattr(hexr.vault, name)
        if isinstance(value, type) and value.__module__.startswith("hexr.vault"):
            assert value.__module__ == "hexr.vault", name


def test_login_and_availability_failures_are_distinct_vault_errors() -> None:
    from hexr.errors import VaultError

    assert issubclass(hexr.vault.LoginRefused, VaultError)
    assert issubclass(hexr.vault.VaultUnavailable, VaultError)
    assert not issubclass(hexr.vault.LoginRefused, hexr.vault.VaultUnavailable)
