"""Rebuild the whole bundled sample mirror: every site's build script, in order.

Run from the repository root: `python corpus/tools/build_all.py`. Needs fpdf2 (the
`test` extra) for the PDFs. Each site script deletes and rewrites its own
`corpus/sites/<host>/` folder, so the result is reproducible byte for byte.
"""

from __future__ import annotations

import runpy
from pathlib import Path

SCRIPTS = ("build_bataljong.py", "build_vvsg.py", "build_ksg.py", "build_debattle.py")


def main() -> None:
    here = Path(__file__).resolve().parent
    for script in SCRIPTS:
        runpy.run_path(str(here / script), run_name="__main__")


if __name__ == "__main__":
    main()
