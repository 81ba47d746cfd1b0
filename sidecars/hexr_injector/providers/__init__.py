"""Credential providers, one module each; `build_provider` picks one by its ``provider`` key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from hexr.errors import ConfigError
from hexr_injector.providers._base import ExchangeRequest, Provider, ProviderOptions
from hexr_injector.providers.vault_key import CredentialReader

__all__ = ["PROVIDER_NAMES", "ExchangeRequest", "Provider", "ProviderOptions", "build_provider"]

PROVIDER_NAMES = ("aws_sts", "oauth2", "vault_key")


def build_provider(
    service: str,
    options: Mapping[str, Any],
    vault_reader: Callable[[], CredentialReader],
) -> Provider:
    """The provider configured for ``service`` (providers import lazily: boto3 only if used).

    Raises:
        ConfigError: unknown provider or invalid options (names the service).
    """
    kind = options.get("provider")
    try:
        if kind == "aws_sts":
            from hexr_injector.providers.aws_sts import AwsStsOptions, AwsStsProvider

            return AwsStsProvider(AwsStsOptions.model_validate(options))
        if kind == "oauth2":
            from hexr_injector.providers.oauth2 import OAuth2Options, OAuth2TokenExchangeProvider

            return OAuth2TokenExchangeProvider(OAuth2Options.model_validate(options))
        if kind == "vault_key":
            from hexr_injector.providers.vault_key import VaultKeyOptions, VaultKeyProvider

            return VaultKeyProvider(VaultKeyOptions.model_validate(options), vault_reader())
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ConfigError(f"services.{service}: invalid options ({fields})") from None
    except ConfigError as exc:
        raise ConfigError(f"services.{service}: {exc}") from None
    raise ConfigError(f"services.{service}.provider must be one of {', '.join(PROVIDER_NAMES)}")
