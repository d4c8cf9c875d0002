"""Parts of a case file that other apps contribute: a tab of the case page, a section of the export.

``cases`` sits below ``evidence`` in the layers (the import contracts in pyproject.toml): it may
not import evidence, yet the case page shows the evidence and the export carries its files. So
the direction is reversed on purpose: an app above ``cases`` registers its part here in its
``AppConfig.ready()`` (evidence/apps.py), and ``cases`` walks what is registered without knowing
what a part holds. Contributed tabs come after the case's own acts; contributed export sections
after its signed acts, both in the order the apps are installed.

The part reads through the case it is handed (already restricted and, on the page, checked for
the grave-case second factor by the view), so it adds no access path of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .export.builder import ExportWriter
    from .models import Case


@dataclass(frozen=True)
class CaseTab:
    """A tab of the case page (``?tab=<name>``).

    ``rows(case)`` returns the template's context: only this tab's rows, in a fixed number of
    queries (tests/test_query_counts.py holds every tab to it).
    """

    name: str
    label: Any  # a lazy translation
    template: str
    rows: Callable[[Case], dict[str, Any]]


@dataclass(frozen=True)
class ExportSection:
    """Members of the case-file export.

    ``write(writer, case)`` adds them and returns the files it left out because they were
    withdrawn (the manifest's ``withdrawn_files``: name, SHA-256, reason).
    """

    name: str
    write: Callable[[ExportWriter, Case], list[dict[str, Any]]]


_tabs: dict[str, CaseTab] = {}
_sections: dict[str, ExportSection] = {}


def contribute(*parts: CaseTab | ExportSection) -> None:
    """Register parts (from an AppConfig.ready(); registering the same name again replaces it)."""
    for part in parts:
        if isinstance(part, CaseTab):
            _tabs[part.name] = part
        else:
            _sections[part.name] = part


def tabs() -> tuple[CaseTab, ...]:
    return tuple(_tabs.values())


def tab(name: str) -> CaseTab | None:
    return _tabs.get(name)


def export_sections() -> tuple[ExportSection, ...]:
    return tuple(_sections.values())
