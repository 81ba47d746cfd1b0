"""Root test configuration.

Fixtures that start real components live one module per component in `tests/fixtures/`
and are loaded here as plugins, so adding a component never edits this file.
"""

from pathlib import Path

pytest_plugins = sorted(
    f"tests.fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("[!_]*.py")
)
