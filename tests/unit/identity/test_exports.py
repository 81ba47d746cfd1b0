import hexr.identity


def test_all_is_sorted_and_importable() -> None:
    assert list(hexr.identity.__all__) == sorted(hexr.identity.__all__)
    for name in hexr.identity.__all__:
        assert hasattr(hexr.identity, name)
