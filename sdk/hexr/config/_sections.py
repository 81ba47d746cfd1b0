"""A component's settings: ``HEXR_*`` environment first, then its section of the file.

Every component reads one section of the file named by ``HEXR_CONFIG`` (``identity:``,
``injector:``, ``gateway:``, ...). Adding one is one small class::

    class GatewaySettings(SectionSettings):
        section: ClassVar[str] = "gateway"
        model_config = SettingsConfigDict(env_prefix="HEXR_GATEWAY_", extra="ignore")

        port: int = 8450

Precedence: constructor arguments (CLI flags), then ``HEXR_*``, then the file's section,
then the field default.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

__all__ = ["SectionSettings"]


class _SectionSource(PydanticBaseSettingsSource):
    """The component's section of ``$HEXR_CONFIG`` as a pydantic-settings source."""

    def __init__(self, settings_cls: type[BaseSettings], section: str) -> None:
        super().__init__(settings_cls)
        self._section = section

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` returns the whole section at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        from hexr.config._loader import read_section

        return read_section(self._section)


class SectionSettings(BaseSettings):
    """Base of a component's settings; subclasses name their ``section``."""

    section: ClassVar[str] = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then ``HEXR_*``, then the ``HEXR_CONFIG`` section."""
        if not cls.section:
            return init_settings, env_settings
        return init_settings, env_settings, _SectionSource(settings_cls, cls.section)
