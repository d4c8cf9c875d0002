"""Loading one case with everything the case page shows, in a fixed number of queries.

Selector-like: the case is found through ``Case.objects.restrict(user, "view")`` (the one read
path, DESIGN §4); its children come with it and inherit that check.
"""

from __future__ import annotations

from django.db.models import Prefetch

from cases.models import Case, Participant, ProceduralAct
from evidence.models import EvidenceItem


def case_file_queryset(user):
    """Cases ``user`` may view, each with its participants (and persons), acts (and their participants),
    evidence items (with files and custody events), term extensions, interruptions, articles and group."""
    participants = Participant.objects.select_related("person")
    return (
        Case.objects.restrict(user, "view")
        .select_related("unit", "lead_investigator", "prosecutor", "supervisor")
        .prefetch_related(
            "articles",
            "group",
            Prefetch("participants", queryset=participants),
            Prefetch(
                "acts",
                queryset=ProceduralAct.objects.select_related("act_type", "author", "approved_by").prefetch_related(
                    Prefetch("participants", queryset=participants)
                ),
            ),
            Prefetch(
                "evidence_items",
                queryset=EvidenceItem.objects.select_related("seized_from__person").prefetch_related(
                    "files", "custody_events"
                ),
            ),
            "extensions",
            "interruptions",
        )
    )


def load_case(user, case_id: int) -> Case:
    """The case with all its children; Case.DoesNotExist when absent or outside the user's scope."""
    return case_file_queryset(user).get(pk=case_id)


def touch(case: Case) -> int:
    """Walk everything loaded (as a template would); returns the number of objects seen."""
    seen = 1 + len(case.articles.all()) + len(case.group.all())
    for participant in case.participants.all():
        seen += 1 + bool(participant.person.iin)
    for act in case.acts.all():
        seen += 1 + len(act.participants.all()) + bool(act.act_type.code)
    for item in case.evidence_items.all():
        seen += 1 + len(item.files.all()) + len(item.custody_events.all())
    return seen + len(case.extensions.all()) + len(case.interruptions.all())
