"""Persons as a case records them, their procedural roles in it, and links between cases (issue #13)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import OutOfScope
from ecase.history import save_attributed

from .. import access
from ..choices import ParticipantRole
from ..effects import DECREE_ROLES
from ..models import Case, Participant, Person, PersonLink
from .withdrawal import withdraw

PERSON_FIELDS = (
    "iin",
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "sex",
    "citizenship",
    "address",
    "phone",
)


# What must agree when an IIN already recorded in the case is typed again for another role.
SAME_PERSON_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "sex")


def _person_for(*, actor: User, case: Case, person_data: dict, reason: str) -> tuple[Person, bool]:
    """The case's own record of this IIN if it has one, else a new record of exactly what was typed.

    Only the case's own persons are looked at (DESIGN §4): the same IIN in another case is another
    record, never read here, so adding a participant neither shows another case's data nor reveals
    that the IIN is on file elsewhere. That both are one real person is stated by ``person_link``.
    """
    unknown = set(person_data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    iin = (person_data.get("iin") or "").strip() or None
    if iin:
        existing = Person.objects.select_for_update().filter(case=case, iin=iin).first()
        if existing is not None:
            differs = [
                name
                for name in SAME_PERSON_FIELDS
                if name in person_data and (person_data[name] or "") != (getattr(existing, name) or "")
            ]
            if differs:
                # Silently keeping one of two versions would lose what was typed: the user decides.
                raise ValidationError(
                    {
                        "iin": _(
                            "This case already records a person with this IIN as %(name)s, "
                            "born %(born)s; correct that record or check the IIN."
                        )
                        % {"name": existing.full_name, "born": existing.birth_date.strftime("%d.%m.%Y")}
                    }
                )
            return existing, False
    person = Person(**{**person_data, "iin": iin}, case=case)
    save_attributed(person, actor=actor, reason=reason)
    return person, True


@transaction.atomic
def participant_add(
    *,
    case_id: int,
    actor: User,
    role: str,
    person_data: dict,
    role_since: date | None = None,
    note: str = "",
    reason: str = "",
) -> Participant:
    """Give a person (the case's own record of the IIN, or a new one) a procedural role in the case.

    Not the roles only a decree gives (suspect, accused; cases/effects.py): those are refused, naming the act.
    """
    case = access.lock_case(case_id, actor=actor, action=access.CHANGE)
    _refuse_decree_role(role)
    reason = reason.strip() or _("Participant added")
    person, created = _person_for(actor=actor, case=case, person_data=person_data, reason=reason)
    participant = Participant(
        case=case, person=person, role=role, note=note, role_since=role_since or timezone.localdate()
    )
    if Participant.objects.filter(case=case, person=person, role=role, withdrawn_at__isnull=True).exists():
        raise ValidationError({"role": _("This person already has this role in the case.")})
    save_attributed(participant, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.PARTICIPANT_ADDED,
        case_id=case.pk,
        target=participant,
        data={"person": person.pk, "person_created": created, "role": role, "reason": reason},
    )
    return participant


def _withdrawn_participant() -> ValidationError:
    return ValidationError(_("This participant was withdrawn from the case."))


@transaction.atomic
def participant_change_role(
    *, participant_id: int, actor: User, role: str, reason: str, role_since: date | None = None
) -> Participant:
    """A new procedural role (a witness becomes a witness with the right to defence); the old one stays in
    history. Suspect and accused are given only by a decree in force (``participant_role_by_act``)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State the ground for the change of role.")})
    participant = access.locked(Participant, participant_id, actor=actor, action=access.CHANGE)
    if participant.is_withdrawn:
        raise _withdrawn_participant()
    _refuse_decree_role(role)
    if participant.role in DECREE_ROLES:
        raise ValidationError(
            {
                "role": _(
                    "A suspect's or accused's role changes only by an act in force (its termination or indictment)."
                )
            }
        )
    before = participant.role
    participant.role, participant.role_since = role, role_since or timezone.localdate()
    save_attributed(participant, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.PARTICIPANT_CHANGED,
        case_id=participant.case_id,
        target=participant,
        data={"from": before, "to": role, "reason": reason},
    )
    return participant


def _refuse_decree_role(role: str) -> None:
    if role in DECREE_ROLES:
        raise ValidationError({"role": decree_role_needed(role)}, code="decree_needed")


def decree_role_needed(role: str) -> str:
    """Why a role is not picked on a form: the act that gives it (УПК РК art. 64 part 1, art. 65)."""
    if role == ParticipantRole.SUSPECT:
        return _(
            "A person becomes a suspect only by an act in force: draft the decree recognising them as a suspect "
            "(or the detention protocol), with the person added in another role first."
        )
    return _("A suspect becomes accused only by the indictment in force.")


def participant_role_by_act(*, act, role: str, participant_id, actor: User) -> str:
    """The effect ``participant_role`` of ``act``, in force (cases/services/effects.py): the named participant
    of the act's case takes ``role``. The case is locked by the caller; a refusal is a ValidationError."""
    participant = (
        Participant.objects.select_for_update()
        .filter(case_id=act.case_id, pk=participant_id if str(participant_id).isdigit() else None)
        .select_related("person")
        .first()
    )
    if participant is None:
        raise ValidationError(_("The act names no participant of this case."))
    if participant.is_withdrawn:
        raise _withdrawn_participant()
    holds = Participant.objects.filter(
        case_id=act.case_id, person_id=participant.person_id, role=role, withdrawn_at__isnull=True
    ).exists()
    if holds:
        return _("%(person)s already is “%(role)s”.") % {
            "person": participant.person,
            "role": ParticipantRole(role).label,
        }
    if role == ParticipantRole.SUSPECT and participant.role == ParticipantRole.ACCUSED:
        raise ValidationError(_("%(person)s is already accused.") % {"person": participant.person})
    if role == ParticipantRole.ACCUSED and participant.role != ParticipantRole.SUSPECT:
        raise ValidationError(
            _("Only a suspect becomes accused; %(person)s is “%(role)s”.")
            % {"person": participant.person, "role": participant.get_role_display()}
        )
    before = participant.role
    participant.role, participant.role_since = role, timezone.localdate()
    save_attributed(participant, actor=actor, reason=str(act))
    audit_record(
        actor=actor,
        event=EventType.PARTICIPANT_CHANGED,
        case_id=participant.case_id,
        target=participant,
        data={"from": before, "to": role, "reason": str(act), "decision_act": act.pk},
    )
    return _("%(person)s: “%(from)s” → “%(to)s”.") % {
        "person": participant.person,
        "from": ParticipantRole(before).label,
        "to": ParticipantRole(role).label,
    }


def prosecution_terminate_by_act(*, act, participant_id, actor: User) -> str:
    """The effect ``prosecution_terminated`` of ``act``, in force: the prosecution of this one suspect
    (or accused) ends and the case goes on. The role is withdrawn with the act as its reason: the row
    and its history stay, and the person is no longer a suspect in the case."""
    participant = (
        Participant.objects.select_for_update()
        .filter(case_id=act.case_id, pk=participant_id if str(participant_id).isdigit() else None)
        .select_related("person")
        .first()
    )
    if participant is None:
        raise ValidationError(_("The act names no participant of this case."))
    if participant.is_withdrawn:
        raise _withdrawn_participant()
    if participant.role not in DECREE_ROLES:
        raise ValidationError(
            _("%(person)s is not prosecuted in this case (“%(role)s”).")
            % {"person": participant.person, "role": participant.get_role_display()}
        )
    participant.withdrawn_at, participant.withdrawn_by = timezone.now(), actor
    participant.withdrawal_reason = str(act)
    save_attributed(participant, actor=actor, reason=str(act))
    audit_record(
        actor=actor,
        event=EventType.PARTICIPANT_WITHDRAWN,
        case_id=participant.case_id,
        target=participant,
        data={"reason": str(act), "decision_act": act.pk, "prosecution_terminated": True},
    )
    return _("The prosecution of %(person)s is terminated.") % {"person": participant.person}


@transaction.atomic
def participant_withdraw(*, participant_id: int, actor: User, reason: str) -> Participant:
    """Withdraw a participant (entered in error, role ended); the row and its history stay."""
    return withdraw(
        Participant,
        participant_id,
        actor=actor,
        reason=reason,
        event=EventType.PARTICIPANT_WITHDRAWN,
        reason_missing=_("State why the participant is withdrawn."),
        already_withdrawn=_withdrawn_participant(),
    )


@transaction.atomic
def person_update(*, person_id: int, actor: User, reason: str, **changes) -> Person:
    """Correct what a case records about a person; allowed to anyone who may change that case."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the person's data is corrected.")})
    person = access.locked(Person, person_id, actor=actor, action=access.CHANGE)
    before = {k: str(getattr(person, k)) for k in changes}
    for name, value in changes.items():
        setattr(person, name, value)
    save_attributed(person, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.PERSON_CHANGED,
        case_id=person.case_id,
        target=person,
        data={"from": before, "to": {k: str(v) for k, v in changes.items()}, "reason": reason},
    )
    return person


@transaction.atomic
def person_link(*, person_id: int, other_id: int, actor: User, reason: str) -> PersonLink:
    """State that two persons of two cases are one real person (DESIGN §4: an explicit act).

    Only someone who sees both cases may do it: either person outside the actor's view scope is
    OutOfScope (404, as an absent one), so the refusal reveals nothing of a case the actor does
    not see. Both cases are locked (in id order, the lock order of every case write) and checked
    again under the lock, grave cases' second factor included. Neither record changes.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why these are one person.")})
    visible = {p.pk: p for p in Person.objects.restrict(actor, access.VIEW).filter(pk__in=[person_id, other_id])}
    if person_id not in visible or other_id not in visible:
        raise OutOfScope("no such person")
    first, second = sorted((visible[person_id], visible[other_id]), key=lambda p: p.pk)
    if first.pk == second.pk or first.case_id == second.case_id:
        raise ValidationError(_("Link persons of two different cases; within one case a person is recorded once."))
    for case_id in sorted({first.case_id, second.case_id}):
        access.lock_case(case_id, actor=actor, action=access.VIEW)
    if PersonLink.objects.filter(person=first, other=second).exists():
        raise ValidationError(_("These persons are already linked."))
    link = PersonLink(person=first, other=second, reason=reason.strip(), linked_by=actor)
    save_attributed(link, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        event=EventType.PERSON_LINKED,
        case_id=first.case_id,
        target=link,
        data={"person": first.pk, "other": second.pk, "other_case": second.case_id, "reason": reason.strip()},
    )
    return link


def linked_persons(person: Person, *, visible) -> list[int]:
    """Ids of ``person`` and of every person linked to it, directly or through others, within ``visible`` persons."""
    found, frontier = {person.pk}, {person.pk}
    while frontier:
        pairs = PersonLink.objects.filter(Q(person__in=frontier) | Q(other__in=frontier)).values_list("person", "other")
        reached = {pk for pair in pairs for pk in pair} - found
        reached = set(visible.filter(pk__in=reached).values_list("pk", flat=True))
        found |= reached
        frontier = reached
    return sorted(found)
