"""No ``DSA is deprecated`` warning on every command: exactly that warning is filtered."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import warnings
import hexr
import hexr.identity
for module in ("spiffe.bundle.jwt_bundle.jwt_bundle", "OpenSSL.crypto", "someone.else"):
    try:
        warnings.warn_explicit("DSA is deprecated and will go", UserWarning, "x.py", 1, module)
        print("hidden")
    except UserWarning:
        print("shown")
"""


def test_only_the_dsa_warning_of_spiffe_and_pyopenssl_is_hidden() -> None:
    # Warnings are errors here: importing hexr and py-spiffe raises none.
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", CODE], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["hidden", "hidden", "shown"]
