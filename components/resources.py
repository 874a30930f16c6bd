"""The project's data files (presets, defaults, contracts, quickstart SQL), wherever the code runs from.

A wheel, and the zip that `make submit` gives executors through --py-files,
carry `conf/` and `contracts/` inside the `components` package (pyproject.toml
maps them there); in the source tree they stay at the repository root.
Everything is read through importlib.resources, which also reads inside a
zip, where a path built from `__file__` names a file that cannot be opened.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent   # the repository, when running from the source tree


def data_dir(*parts: str):
    """The folder `parts` (e.g. "contracts", "quickstart") as an importlib.resources Traversable."""
    packaged = files("components")
    root = packaged if packaged.joinpath("contracts").is_dir() else SOURCE_ROOT
    return root.joinpath(*parts)


def stems(folder, suffix: str, prefix: str = "") -> list[str]:
    """The sorted names, without `suffix`, of the files in `folder` named `prefix*suffix`."""
    return sorted(
        entry.name[: -len(suffix)] for entry in folder.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(suffix) and entry.is_file()
    )
