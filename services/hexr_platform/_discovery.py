"""Finds the platform's components: every ``hexr.components`` entry point, loaded lazily.

The supervisor names no component: a package adds one with a ``platform.py`` and one
entry-point line, and nothing is imported until a platform command asks for the list.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import EntryPoint, entry_points

from hexr_platform.component import ComponentContext, ComponentSpec

__all__ = ["ENTRY_POINT_GROUP", "components", "get_spec"]

ENTRY_POINT_GROUP = "hexr.components"
"""The entry-point group a component's package registers its spec factory under."""

_log = logging.getLogger(__name__)


def _never(_: ComponentContext) -> bool:
    return False


def _not_installed(entry: EntryPoint, error: ImportError) -> ComponentSpec:
    """A placeholder listed as "not installed" with how to install what its module needs."""
    distribution = entry.dist.name if entry.dist is not None else "hexr"
    if entry.extras:
        hint = f"pip install '{distribution}[{','.join(entry.extras)}]'"
    else:
        hint = f"cannot import {entry.module} ({error.name or error})"
    return ComponentSpec(
        name=entry.name,
        locate=lambda: None,
        argv=lambda _ctx, exe: [exe],
        health=_never,
        optional=True,
        install_hint=hint,
    )


def _load(entry: EntryPoint) -> ComponentSpec:
    try:
        factory = entry.load()
    except ImportError as err:
        return _not_installed(entry, err)
    spec = factory()
    if not isinstance(spec, ComponentSpec):
        raise TypeError(f"entry point {entry.value!r} returned {type(spec).__qualname__}")
    if spec.name != entry.name:
        raise ValueError(f"entry point {entry.name!r} declares component {spec.name!r}")
    return spec


@functools.cache
def components() -> tuple[ComponentSpec, ...]:
    """Every registered component, in display order (``order``, then name)."""
    found: dict[str, ComponentSpec] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in found:
            # The same distribution seen twice on sys.path (e.g. an editable install
            # beside a build): the first one is the one Python imports.
            _log.debug("component %s registered twice; keeping the first", entry.name)
            continue
        found[entry.name] = _load(entry)
    return tuple(sorted(found.values(), key=lambda spec: (spec.order, spec.name)))


def get_spec(name: str) -> ComponentSpec:
    """The registered component ``name``.

    Raises:
        KeyError: No such component.
    """
    for spec in components():
        if spec.name == name:
            return spec
    raise KeyError(name)
