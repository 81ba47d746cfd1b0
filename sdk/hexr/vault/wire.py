"""What every client of the vault's HTTP API shares: error translation and KV v2 decoding.

The agent client (`hexr.vault`) and the operator (``hexr_vault``) both go through these, so
an hvac failure becomes the same `VaultError` and a secret value is checked the same way
(bounded, never quoted in an error) whoever talks to the server.
"""

from hexr.vault._client import checked_value, secret_from_response
from hexr.vault._errors import translate_errors

__all__ = ["checked_value", "secret_from_response", "translate_errors"]
