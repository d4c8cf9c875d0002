"""Persons and their procedural roles in a case."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import OutOfScope
from ecase.history import save_attributed

from .. import access
from ..models import Participant, Person
from .scope import lock_case

PERSON_FIELDS = ("iin", "last_name", "first_name", "middle_name", "birth_date", "sex", "citizenship", "address", "phone")


def _person_for(*, actor: User, person_data: dict, reason: str) -> tuple[Person, bool]:
    """The person with this IIN if one exists (one person, many cases), else a new one."""
    unknown = set(person_data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    iin = (person_data.get("iin") or "").strip() or None
    if iin:
        existing = Person.objects.select_for_update().filter(iin=iin).first()
        if existing is not None:
            return existing, False
    person = Person(**{**person_data, "iin": iin})
    save_attributed(person, actor=actor, reason=reason)
    return person, True


@transaction.atomic
def participant_add(*, case_id: int, actor: User, role: str, person_data: dict,
                    role_since: date | None = None, note: str = "", reason: str = "") -> Participant:
    """Give a person (found by IIN or created) a procedural role in the case."""
    case = lock_case(case_id, actor=actor, action=access.CHANGE)
    reason = reason.strip() or _("Participant added")
    person, created = _person_for(actor=actor, person_data=person_data, reason=reason)
    participant = Participant(case=case, person=person, role=role, note=note,
                              role_since=role_since or timezone.localdate())
    if Participant.objects.filter(case=case, person=person, role=role, withdrawn_at__isnull=True).exists():
        raise ValidationError({"role": _("This person already has this role in the case.")})
    save_attributed(participant, actor=actor, reason=reason)
    audit_record(actor=actor, event=EventType.PARTICIPANT_ADDED, case_id=case.pk, target=participant,
                 data={"person": person.pk, "person_created": created, "role": role, "reason": reason})
    return participant


def _locked_participant(participant_id: int, *, actor: User) -> Participant:
    participant = Participant.objects.restrict(actor, access.VIEW).filter(pk=participant_id).first()
    if participant is None:
        raise OutOfScope("no such participant")
    lock_case(participant.case_id, actor=actor, action=access.CHANGE)
    participant = Participant.objects.select_for_update().get(pk=participant_id)
    if participant.is_withdrawn:
        raise ValidationError(_("This participant was withdrawn from the case."))
    return participant


@transaction.atomic
def participant_change_role(*, participant_id: int, actor: User, role: str, reason: str,
                            role_since: date | None = None) -> Participant:
    """A new procedural role (a suspect becomes accused); the old one stays in history."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State the ground for the change of role.")})
    participant = _locked_participant(participant_id, actor=actor)
    before = participant.role
    participant.role, participant.role_since = role, role_since or timezone.localdate()
    save_attributed(participant, actor=actor, reason=reason)
    audit_record(actor=actor, event=EventType.PARTICIPANT_CHANGED, case_id=participant.case_id, target=participant,
                 data={"from": before, "to": role, "reason": reason})
    return participant


@transaction.atomic
def participant_withdraw(*, participant_id: int, actor: User, reason: str) -> Participant:
    """Withdraw a participant (entered in error, role ended); the row and its history stay."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the participant is withdrawn.")})
    participant = _locked_participant(participant_id, actor=actor)
    participant.withdrawn_at, participant.withdrawn_by, participant.withdrawal_reason = timezone.now(), actor, reason.strip()
    save_attributed(participant, actor=actor, reason=reason)
    audit_record(actor=actor, event=EventType.PARTICIPANT_WITHDRAWN, case_id=participant.case_id, target=participant,
                 data={"reason": reason})
    return participant


@transaction.atomic
def person_update(*, person_id: int, actor: User, reason: str, **changes) -> Person:
    """Correct a person's data; allowed to anyone who may change a case the person takes part in."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the person's data is corrected.")})
    person = Person.objects.restrict(actor, access.CHANGE).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise OutOfScope("no such person")
    before = {k: str(getattr(person, k)) for k in changes}
    for name, value in changes.items():
        setattr(person, name, value)
    save_attributed(person, actor=actor, reason=reason)
    audit_record(actor=actor, event=EventType.PERSON_CHANGED, target=person,
                 data={"from": before, "to": {k: str(v) for k, v in changes.items()}, "reason": reason})
    return person
