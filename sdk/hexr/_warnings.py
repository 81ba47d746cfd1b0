"""Warning filters Hexr installs when imported (before anything imports py-spiffe).

cryptography 51 deprecates DSA and warns when a DSA key type is merely named: py-spiffe's
JWT bundle and pyOpenSSL name them in type unions at import, so every command and agent
printed ``CryptographyDeprecationWarning: DSA is deprecated``. Hexr never uses DSA; only
that warning, from those two modules, is hidden.
"""

from __future__ import annotations

import warnings

__all__ = ["DSA_WARNING_MODULES"]

DSA_WARNING_MODULES = (r"spiffe\.bundle\.jwt_bundle\.jwt_bundle", r"OpenSSL\.crypto")

for _module in DSA_WARNING_MODULES:
    warnings.filterwarnings("ignore", message="DSA is deprecated", module=_module)
