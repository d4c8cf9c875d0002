"""The statistics report (issue #18 item 6): a table with a small chart, and the same figures as CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.choices import EventType
from audit.services import audit_record
from cases.access.grave import grave_hidden_for
from cases.access.views import CaseScopedView
from ecase.errors import NotAllowed

from .. import access
from ..forms_filters import StatisticsForm
from ..models import Case
from ..statistics import GROUPINGS, Report, case_statistics
from .common import verify_url

CHART_ROWS = 12  # the chart shows the largest rows; the table has them all


class StatisticsView(CaseScopedView):
    """Counts over the cases the reader may list (``restrict(user, view)``), grave ones only with a fresh second factor."""

    queryset = Case.objects.all()
    permission_action = access.VIEW

    def get(self, request):
        if not access.role_allows(request.user, access.VIEW):
            raise NotAllowed("an administrator reads no case data, counted or not")
        today = timezone.localdate()
        form = StatisticsForm(request.GET or {"start": today.replace(day=1), "end": today, "by": "unit"})
        report = None
        cases, grave_hidden = grave_hidden_for(request, self.scoped())
        if form.is_valid():
            report = case_statistics(cases, **form.cleaned_data)
            audit_record(
                actor=request.user,
                event=EventType.STATISTICS_OPENED,
                data={
                    "start": str(report.start),
                    "end": str(report.end),
                    "by": report.by,
                    "grave_hidden": grave_hidden,
                },
            )
            if request.GET.get("format") == "csv":
                return csv_response(report)
        return render(
            request,
            "cases/statistics.html",
            {
                "form": form,
                "report": report,
                "grave_hidden": grave_hidden,
                "verify_url": verify_url(request),
                "chart": (bars := chart(report)),
                "chart_height": len(bars) * (BAR + GAP),
                "bar": BAR,
            },
            status=200 if report else 400,
        )


BAR, GAP = 16, 6  # the chart's bar height and spacing, in the SVG's units


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: float  # share of the largest row, in % of the chart's width


def chart(report: Report | None) -> list[Bar]:
    """A bar per row for the registrations of the largest rows, the largest bar the full width."""
    if report is None:
        return []
    rows = [r for r in sorted(report.rows, key=lambda r: r.counts[0], reverse=True)[:CHART_ROWS] if r.counts[0]]
    top = max((r.counts[0] for r in rows), default=1)
    return [Bar(r.label, r.counts[0], i * (BAR + GAP), round(100 * r.counts[0] / top, 1)) for i, r in enumerate(rows)]


def _cell(value) -> str | int:
    """A text cell a spreadsheet will not run as a formula (names are typed in by administrators)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(report: Report) -> HttpResponse:
    # UTF-8 with a byte-order mark: the spreadsheets in use open Cyrillic and Kazakh letters correctly only with it.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ecase-statistics-{report.by}-{report.start}-{report.end}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_cell(str(dict(GROUPINGS)[report.by])), *report.columns])
    for row in report.rows:
        writer.writerow([_cell(row.label), *row.counts])
    writer.writerow([_("Total (cases)"), *report.total])
    return response
