"""The package's data files (presets, defaults, contracts, quickstart SQL), wherever the code runs from.

`conf/` and `contracts/` live inside the `retail_synth` package, so the
source tree, an installed wheel and the zip that `make submit` gives
executors through --py-files all carry them in the same place. Everything is
read through importlib.resources, which also reads inside a zip, where a
path built from `__file__` names a file that cannot be opened.
"""

from __future__ import annotations

from importlib.abc import Traversable
from importlib.resources import files


def data_dir(*parts: str) -> Traversable:
    """The folder `parts` (e.g. "contracts", "quickstart") of the package, as an importlib.resources Traversable."""
    return files("retail_synth").joinpath(*parts)


def stems(folder: Traversable, suffix: str, prefix: str = "") -> list[str]:
    """The sorted names, without `suffix`, of the files in `folder` named `prefix*suffix`."""
    return sorted(
        entry.name[: -len(suffix)] for entry in folder.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(suffix) and entry.is_file()
    )
