"""bench/RESULTS.md keeps every benchmark's latest section, whichever benchmark ran last."""

from bench.results import refresh


def test_each_benchmark_replaces_only_its_own_part(tmp_path):
    results, audit, signing = tmp_path / "RESULTS.md", tmp_path / "AUDIT.md", tmp_path / "SIGNING.md"
    audit.write_text("# Audit\n\nold audit\n")
    refresh("# Main\n\nfirst run\n", results, (audit, signing))  # signing has not run yet
    assert results.read_text() == "# Main\n\nfirst run\n\n---\n\n# Audit\n\nold audit\n"

    audit.write_text("# Audit\n\nnew audit\n")
    signing.write_text("# Signing\n\n9.4 acts/s\n")
    refresh(path=results, sections=(audit, signing))  # a section benchmark keeps the main part
    assert (
        results.read_text() == "# Main\n\nfirst run\n\n---\n\n# Audit\n\nnew audit\n\n---\n\n# Signing\n\n9.4 acts/s\n"
    )

    refresh("# Main\n\nsecond run\n", results, (audit, signing))
    text = results.read_text()
    assert text.startswith("# Main\n\nsecond run\n") and "first run" not in text and text.count("# Audit") == 1
