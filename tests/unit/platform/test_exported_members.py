import hexr_platform


def test_all_is_unique_and_resolvable() -> None:
    # Its order is ruff's (RUF022: constants, classes, then functions).
    assert len(set(hexr_platform.__all__)) == len(hexr_platform.__all__)
    for name in hexr_platform.__all__:
        assert getattr(hexr_platform, name) is not None, name


def test_sdk_does_not_import_the_platform() -> None:
    import subprocess
    import sys

    code = "import sys, hexr; print('hexr_platform' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
