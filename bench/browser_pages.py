"""Page weight of every main page in Chromium, fonts included (issue #16): bench/RESULTS_BROWSER.md.

    .venv/bin/python bench/browser_pages.py

Runs the browser test that measures and asserts it (tests/browser/test_page_weight_in_chromium.py,
Debian's /usr/bin/chromium, the suite's test database on DATABASE_URL's server), has it write its
table, and puts the table into bench/RESULTS.md as its own section (bench/results.py). The test
data is the suite's (a full page of the case list, a case with five of each child, an evidence
item with five files and transfers), not the 1,000,000 cases of bench/run.py: a page's weight
depends on what one page shows, which the pager and the search widgets bound.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUTPUT = ROOT / "bench" / "RESULTS_BROWSER.md"
TEST = "tests/browser/test_page_weight_in_chromium.py"

INTRO = """# Page weight in Chromium, fonts included (issue #16)

`python bench/browser_pages.py` on {when}, {machine}; {chromium}. What Chromium received over the
network for each main page, headers included (DevTools protocol, `encodedDataLength` of every
finished load), from a server that serves static files as production does: collected under
hashed names, gzip pre-compressed, cacheable for ever (whitenoise, `CompressedManifestStaticFilesStorage`);
HTML is sent uncompressed (no GZipMiddleware, docs/ARCHITECTURE.md). *First visit*: a new browser
profile with an empty cache. *Later navigation*: the same page opened again in that browser — the
stylesheet, scripts, both font faces and the icon come from its cache. 1 KB = 1,000 bytes. Targets:
first visit ≤ 150 KB, later navigation ≤ 30 KB; every run of the browser tests asserts both
(`{test}`). The users' interface language is English (titles of articles in Russian); the Kazakh and
Russian pages carry the same markup with other words.
"""


def chromium_version() -> str:
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "chromium"


def main() -> None:
    from bench.results import refresh

    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "weights.md"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", TEST],
            cwd=ROOT,
            env={**os.environ, "ECASE_WEIGHT_REPORT": str(table)},
            check=True,
        )
        intro = INTRO.format(
            when=datetime.now(UTC).strftime("%Y-%m-%d"),
            machine=f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            chromium=chromium_version(),
            test=TEST,
        )
        OUTPUT.write_text(intro + "\n" + table.read_text(encoding="utf-8"), encoding="utf-8")
    refresh()
    print(OUTPUT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
