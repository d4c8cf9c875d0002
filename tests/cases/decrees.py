"""Decrees in force for tests (issue #18): the one way a case's status, a suspect or accused, or the
qualification changes. ``decree_in_force`` drafts the act, takes every step its requirements call for
(author's signature, head of unit's approval, prosecutor's agreement) and runs the worker's signatures
here, so the act is sealed and its effects applied as in production.
"""

from __future__ import annotations

from django.utils import timezone

from cases.act_transitions import ActAction
from cases.choices import ParticipantRole
from cases.models import Case, Participant, ProceduralAct, ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from tests.cases.signing_helpers import certify, render_in_process
from tests.factories import person_data


def _default(spec: dict, case: Case, author):
    kind = spec.get("type", "text")
    now = timezone.now().replace(microsecond=0)
    if kind == "choice":
        return spec["choices"][0]["value"]
    if kind == "article":
        return sorted(a.code for a in case.articles.all())
    if kind == "date":
        return timezone.localdate(now).isoformat()  # the day where the case is, as the services count it
    if kind == "datetime":
        return now.isoformat()
    if kind == "integer":
        return 1
    if kind == "evidence":
        from tests.evidence.helpers import add_item

        return add_item(case, author, description="Нож").pk
    if kind in ("participant", "participants"):
        raise AssertionError(f"name the participant of field {spec['name']!r}")
    return "Основание изложено в постановлении."


def decree_draft(case: Case, author, code: str, **fields) -> ProceduralAct:
    """A draft of ``code`` with ``fields`` and a plausible value for every other required field."""
    act_type = ProceduralActType.objects.get(code=code)
    values = {
        spec["name"]: fields[spec["name"]] if spec["name"] in fields else _default(spec, case, author)
        for spec in act_type.fields
        if spec.get("required") or spec["name"] in fields
    }
    return act_create(
        case_id=case.pk,
        actor=author,
        act_type=act_type,
        language="ru",
        place="г. Астана",
        fields=values,
        body="Постановил.",
    )


def decree_steps(act: ProceduralAct, *, approver=None, prosecutor=None) -> ProceduralAct:
    """Sign ``act`` as its author and take the approval and agreement its requirements call for (not sealed)."""
    requirement = act.requirements()
    act = act_transition(act_id=act.pk, action=ActAction.SIGN, actor=act.author)
    if requirement.approval_article:
        act = act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=approver)
    if requirement.agreement_article:
        act = act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor)
    return act


def decree_in_force(case: Case, author, code: str, *, approver=None, prosecutor=None, **fields) -> ProceduralAct:
    """``code`` drafted with ``fields``, signed, approved and agreed as required, and sealed: in force
    (unless it needs a judge's sanction), its effects applied."""
    case = Case.objects.get(pk=case.pk)
    prosecutor = prosecutor or case.prosecutor
    for user in filter(None, (author, approver, prosecutor)):
        certify(user)
    act = decree_steps(decree_draft(case, author, code, **fields), approver=approver, prosecutor=prosecutor)
    return render_in_process(act)


def suspect_in_force(case: Case, author, *, prosecutor=None, **person) -> Participant:
    """A person added as a witness and recognised as a suspect by a decree in force (УПК РК art. 64 part 1)."""
    from cases.services.participants import participant_add

    witness = participant_add(
        case_id=case.pk, actor=author, role=ParticipantRole.WITNESS, person_data=person_data(**person)
    )
    decree_in_force(case, author, "suspect_recognition", prosecutor=prosecutor, person=witness.pk)
    return Participant.objects.get(pk=witness.pk)


# The act whose effect takes each decree step (cases/transitions.py DECREE_ACTIONS), and its fields.
DECREE_FOR = {
    "interrupt": ("term_interruption", {"ground": "suspect_hiding"}),
    "resume": ("term_resumption", {}),
    "terminate": ("case_termination", {"ground": "no_corpus"}),
    "send_to_prosecutor": ("completion_report", {}),
    "send_to_court": ("indictment", {}),
}


def decree_move(case: Case, action: str, author, *, approver=None, prosecutor=None, **fields) -> Case:
    """Move ``case`` by ``action`` as the law has it: the decree that takes the step, brought into force.

    A report on completion names the case's suspects (one is recognised first if it has none); an
    indictment, its suspect. Needs the ``signing`` fixture (keys and storage of the test).
    """
    code, defaults = DECREE_FOR[action]
    values = {**defaults, **fields}
    suspects = list(Participant.objects.filter(case=case, role=ParticipantRole.SUSPECT, withdrawn_at__isnull=True))
    if code == "completion_report" and "suspects" not in values:
        values["suspects"] = [p.pk for p in suspects] or [suspect_in_force(case, author, prosecutor=prosecutor).pk]
    if code == "indictment" and "accused" not in values:
        values["accused"] = suspects[0].pk
    decree_in_force(case, author, code, approver=approver, prosecutor=prosecutor, **values)
    return Case.objects.get(pk=case.pk)


def requalified(case: Case, author, codes: list[str], *, prosecutor=None) -> ProceduralAct:
    """``case`` requalified to the parts ``codes`` ("191-1") by a qualification decree in force (УПК РК art. 204),
    its suspect recognised first where it has none. Returns the decree."""
    suspect = Participant.objects.filter(case=case, role=ParticipantRole.SUSPECT, withdrawn_at__isnull=True).first()
    suspect = suspect or suspect_in_force(case, author, prosecutor=prosecutor)
    return decree_in_force(case, author, "qualification", prosecutor=prosecutor, suspect=suspect.pk, articles=codes)
