"""The project's data as package resources: the default sources file (`sources.toml`),
the Dutch language resources (`lang/`) and the bundled sample mirror (`sites/`).

This package holds data, not code: it exists so that a wheel carries the data and the
code finds it through `importlib.resources`, wherever the package is installed.
`corpus/tools/` (the generators of the sample mirror) is not part of the package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """The file system path of a bundled resource (pip installs packages unpacked, so
    every resource is a real file)."""
    found = files(__name__).joinpath(*parts)
    if not isinstance(found, Path):
        raise FileNotFoundError(
            f"corpus/{'/'.join(parts)} is inside an archive; install the package unpacked "
            "(pip install kennisbank-jeugdbeleid)"
        )
    return found
