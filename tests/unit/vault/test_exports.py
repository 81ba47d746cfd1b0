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
