"""A pager that does not count (issue #4): one query of PAGE_SIZE + 1 rows per page.

Django's Paginator runs COUNT(*) over the whole list to print "page 3 of 6,284". For a
supervisor that count is the most expensive statement of the list (0.28–0.33 s at 1,000,000
cases, bench/RESULTS.md (e)): with the ``EXISTS … OR EXISTS …`` shape of ``restrict`` the page
itself is read by walking cases in list order and stopping after one page, while a count must
visit every case. So the list reads one row more than it shows: that row only says whether a
next page exists. Previous / next and the page number stay; the total does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

MAX_PAGE = 100_000  # a page number beyond any list: refused like a malformed one


@dataclass
class Page:
    """What templates/cases/_pager.html and the lists need of a page (a subset of Django's Page)."""

    object_list: list
    number: int
    has_next: bool
    paginator = None  # no total: templates test for it

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def paginate_without_count(request: HttpRequest, queryset, per_page: int) -> Page:
    """The requested page of ``queryset`` (which must be ordered) and whether another follows, in one query."""
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
