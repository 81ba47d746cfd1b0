import subprocess
import sys


def test_import_hexr_loads_no_aws_or_valkey_client() -> None:
    code = (
        "import sys, hexr\n"
        "assert callable(hexr.hexr_tool)\n"
        "heavy = {'boto3', 'botocore', 'valkey'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
        "print(sorted(m for m in sys.modules if m.startswith('hexr.credentials.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, modules = out.stdout.splitlines()
    assert loaded == "[]"
    # Only the public entry point and its value types load; the chain loads on first use.
    assert modules == "['hexr.credentials._model', 'hexr.credentials._tool']"
