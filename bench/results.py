"""bench/RESULTS.md is one report made of the benchmarks' own files.

``bench/run.py`` writes the main part (seeding, the case list, pages at 1,000,000 cases); the audit
trail benchmark (issue #6), the signed-acts benchmark (issue #5), the blob store and upload
benchmarks (issue #19), the case update, search and load benchmarks (issue #15), the page weight
in Chromium (issue #16) and the clocks (issue #18) write RESULTS_AUDIT.md, RESULTS_SIGNING.md, RESULTS_BLOBS.md,
RESULTS_UPLOADS.md, RESULTS_WRITES.md, RESULTS_SEARCH.md, RESULTS_LOAD.md, RESULTS_BROWSER.md and RESULTS_CLOCKS.md.
Each of them calls :func:`refresh` when it is done, so the one report always carries the latest run
of every benchmark, and a benchmark never has to re-run another's.
"""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
SECTIONS = (
    BENCH / "RESULTS_AUDIT.md",
    BENCH / "RESULTS_SIGNING.md",
    BENCH / "RESULTS_BLOBS.md",
    BENCH / "RESULTS_WRITES.md",
    BENCH / "RESULTS_UPLOADS.md",
    BENCH / "RESULTS_BROWSER.md",
    BENCH / "RESULTS_SEARCH.md",
    BENCH / "RESULTS_LOAD.md",
    BENCH / "RESULTS_CLOCKS.md",
)
RULE = "\n---\n"


def refresh(main: str | None = None, path: Path = RESULTS, sections: tuple[Path, ...] = SECTIONS) -> None:
    """Write ``path``: the main part (``main``, or the one already there) followed by every section
    file that exists, each after a horizontal rule."""
    if main is None:
        main = path.read_text().split(RULE, 1)[0] if path.exists() else "# ecase benchmark\n"
    parts = [main.rstrip("\n")] + [section.read_text().rstrip("\n") for section in sections if section.exists()]
    path.write_text(("\n" + RULE + "\n").join(parts) + "\n")
