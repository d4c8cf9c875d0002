"""manage.py refresh_deadlines: recompute the stored term of running cases returned for additional
investigation, once, after deploying the clocks (issue #18 item 3).

Before, a return reused the old deadline, so a returned case was overdue at once; the engine now
starts a new term from the return (cases/clocks.py), but a stored ``Case.deadline`` moves only when
something recomputes it. Each case is recomputed by ``refresh_deadline`` in its own transaction,
attributed to the system actor with the reason below (history row, as every change of a case).
Running it again changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from cases.choices import CaseAction
from cases.clock_selectors import TERM_STATUSES
from cases.models import Case, CaseStatusChange
from cases.services.term import refresh_deadline
from cases.system_actor import system_actor

REASON = "Term recomputed: a return for additional investigation starts a new term (issue #18)"


class Command(BaseCommand):
    help = "Recompute the stored deadline of running cases returned for additional investigation."

    def handle(self, *args, **options):
        actor = system_actor()
        returned = CaseStatusChange.objects.filter(action=CaseAction.RETURN).values("case_id")
        ids = list(Case.objects.filter(pk__in=returned, status__in=TERM_STATUSES).values_list("pk", flat=True))
        moved = 0
        for case_id in ids:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                before = case.deadline
                refresh_deadline(case, actor=actor, reason=REASON)
                moved += case.deadline != before
        self.stdout.write(f"{len(ids)} returned case(s) checked, {moved} deadline(s) moved")
