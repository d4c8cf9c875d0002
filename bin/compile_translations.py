"""Compile locale/*/LC_MESSAGES/*.po into .mo with polib, so installing needs no GNU gettext.

Run by `make install` (and so by `make run` and `make test`) and by the Dockerfile as
`python bin/compile_translations.py`; `make messages` re-extracts the .po files, which needs
gettext's xgettext on the developer's machine only. A build tool, not part of the project package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compile_all(root: Path = LOCALE) -> list[Path]:
    compiled = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        compiled.append(mo_path)
    return compiled


if __name__ == "__main__":
    done = compile_all()
    print(f"translations: {len(done)} catalogue(s) compiled", file=sys.stderr)
