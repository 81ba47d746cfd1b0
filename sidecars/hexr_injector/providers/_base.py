"""The provider plugin interface: turn a verified caller into a short-lived credential."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict

from hexr.credentials import Credential
from hexr_injector._spiffe import Caller

__all__ = ["ExchangeRequest", "Provider", "ProviderOptions"]


class ExchangeRequest(NamedTuple):
    """One verified, policy-approved exchange."""

    caller: Caller
    service: str
    region: str
    subject_token: str
    """The caller's verified JWT-SVID (web identity / subject token for the provider)."""

    def __repr__(self) -> str:
        # A bearer token: never in a log line, an assertion message or a traceback's locals.
        return (
            f"ExchangeRequest(caller={self.caller!r}, service={self.service!r}, "
            f"region={self.region!r}, subject_token=<redacted>)"
        )


class ProviderOptions(BaseModel):
    """Base of each provider's options (strict: unknown keys are configuration errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str


class Provider(ABC):
    """A credential provider; raise `ProviderFailed` with a safe message on failure."""

    name: ClassVar[str]

    @abstractmethod
    async def exchange(self, request: ExchangeRequest) -> Credential:
        """Obtain the credential for ``request``."""

    async def aclose(self) -> None:  # noqa: B027 (optional hook)
        """Release resources."""
