import hexr


def test_all_is_sorted_and_public() -> None:
    names = [n for n in dir(hexr) if not n.startswith("_") and n not in {"errors", "telemetry"}]
    public = [n for n in hexr.__all__ if n != "__version__"]
    assert public == sorted(public)
    assert set(public) <= set(names)


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hexr; heavy = {'torch', 'boto3', 'hvac', 'grpclib', 'starlette', 'regopy'}"
        " & set(m.split('.')[0] for m in sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
