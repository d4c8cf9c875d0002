"""The import rules hold and say what the documentation says (issue #14 items 2 and 3).

`lint-imports` (make check) enforces the contracts of pyproject.toml; these tests keep the
contracts complete (every package and every module of ecase is under them) and
docs/ARCHITECTURE.md's table of who may import whom equal to them, and walk the case page from
its URL through everything it imports: it stays in cases, the neutral infrastructure of ecase
and the layers beneath cases, with no way back into cases from below.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
from django.urls import resolve

from cases import file_parts
from cases.views.cases import case_tabs

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}
ROOT_PACKAGES = set(CONFIG["root_packages"])
APPS = ROOT_PACKAGES - {"ecase"}
# Tooling outside the application: never imported by it, so not under the contracts.
NOT_APPLICATION = {"tests", "bench"}


def layers() -> list[str]:
    """The layers contract's packages, highest first, an optional one (in parentheses) only if it exists."""
    names = [layer.strip("()") for layer in CONTRACTS["layers"]["layers"]]
    return [name for name in names if name in ROOT_PACKAGES]


INFRASTRUCTURE = set(CONTRACTS["ecase-knows-no-app"]["source_modules"])
WIRING = set(CONTRACTS["apps-import-no-wiring"]["forbidden_modules"])


def test_every_package_of_the_application_is_under_the_contracts():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_APPLICATION
    assert packages == ROOT_PACKAGES, "add a new top-level package to root_packages (and to the contracts)"


def test_every_app_is_a_layer_and_kept_apart_from_ecase():
    assert set(layers()) == APPS
    assert APPS <= set(CONTRACTS["ecase-knows-no-app"]["forbidden_modules"])
    assert set(CONTRACTS["apps-import-no-wiring"]["source_modules"]) == APPS


def test_every_module_of_ecase_is_wiring_or_infrastructure():
    # Every module of ecase, the management command's too (its package __init__ files hold nothing).
    modules = {
        ".".join(("ecase", *p.relative_to(ROOT / "ecase").with_suffix("").parts))
        for p in (ROOT / "ecase").rglob("*.py")
        if p.name != "__init__.py"
    } | {"ecase"}
    assert not INFRASTRUCTURE & WIRING
    # ecase/__init__.py loads the Celery app (wiring) and nothing else.
    assert modules == INFRASTRUCTURE | WIRING | {"ecase"}
    graph = grimp.build_graph(*sorted(ROOT_PACKAGES))
    assert graph.find_modules_directly_imported_by("ecase") <= {"ecase.celery"}


def architecture_table() -> dict[str, tuple[set[str], str]]:
    """docs/ARCHITECTURE.md's package table: row name → (packages named as "may import", that cell's text)."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    section = text.split("## Apps and what each owns", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        name = cells[0].replace("`", "")
        rows[name] = (set(re.findall(r"`([a-z_]+)`", cells[2])), cells[1])
    return rows


def test_the_architecture_table_says_what_the_layers_allow():
    table = architecture_table()
    order = layers()
    for index, package in enumerate(order):
        assert package in table, f"docs/ARCHITECTURE.md has no row for {package}"
        may_import, _owns = table[package]
        assert may_import == set(order[index + 1 :]), f"{package}: the table and the layers contract differ"
    assert set(table) == {*order, "ecase infrastructure", "ecase wiring"}


def test_the_architecture_table_names_ecases_wiring_and_keeps_its_infrastructure_from_every_app():
    table = architecture_table()
    assert table["ecase infrastructure"][0] == set()
    assert not set(CONTRACTS["ecase-knows-no-app"].get("ignore_imports", []))
    owns = table["ecase wiring"][1]
    assert {f"ecase.{name}" for name in re.findall(r"`([a-z_]+)`", owns)} == WIRING


def test_the_case_page_walk_stays_in_cases_and_below():
    """From the URL to the view, its bases, and every module they import: cases, ecase's neutral
    infrastructure, and the layers beneath cases — none of which leads back into cases."""
    view = resolve("/cases/42/").func.view_class
    assert view.__module__ == "cases.views.cases"
    own = {cls.__module__ for cls in view.__mro__ if cls.__module__.split(".")[0] in ROOT_PACKAGES}
    graph = grimp.build_graph(*sorted(ROOT_PACKAGES))
    walked = own.union(*(graph.find_upstream_modules(module) for module in own))
    assert {"cases.models", "cases.selectors", "cases.access"} & walked  # the walk reaches the data
    below = set(layers()[layers().index("cases") + 1 :])
    for module in walked:
        package = module.split(".")[0]
        if package == "cases":
            continue
        if package == "ecase":
            assert module in INFRASTRUCTURE, f"the case page reaches {module}"
        else:
            assert package in below, f"the case page reaches {module}"
        assert not graph.chain_exists(module, "cases", as_packages=True), f"{module} leads back into cases"


def test_evidence_contributes_its_tab_and_export_section_to_the_case_file():
    """cases shows and exports the evidence without importing evidence (cases/file_parts.py)."""
    assert file_parts.tab("evidence").template == "evidence/case_tab.html"
    assert [section.name for section in file_parts.export_sections()] == ["evidence"]
    assert list(case_tabs()) == ["summary", "participants", "acts", "evidence", "term", "history"]
