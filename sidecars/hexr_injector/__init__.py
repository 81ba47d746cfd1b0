"""The credential-injector sidecar: exchanges a workload's JWT-SVID for a credential.

``POST /exchange {service, region}`` over mTLS, authenticated by a JWT-SVID for the
injector's audience; policy decides; a provider plugin (AWS STS, OAuth2 token exchange,
vault-held API keys) issues the credential. Run with ``python -m hexr_injector``.
"""

from hexr_injector._config import InjectorConfig, InjectorSettings, load_config
from hexr_injector.app import build_service, create_app

__all__ = ["InjectorConfig", "InjectorSettings", "build_service", "create_app", "load_config"]
