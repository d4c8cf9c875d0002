"""Drafting procedural acts. Approval, rendering and signing are the act workflow's (issue #5)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import StaleEdit
from ecase.history import save_attributed

from .. import access
from ..choices import ActKind, ActStatus
from ..models import Case, Participant, ProceduralAct, ProceduralActType
from .withdrawal import withdraw

EDITABLE_STATUSES = (ActStatus.DRAFT, ActStatus.RETURNED, ActStatus.REFUSED)


def _participants_of(case_id: int, ids: Iterable[int]) -> list[Participant]:
    wanted = set(ids)
    found = list(Participant.objects.filter(case_id=case_id, pk__in=wanted, withdrawn_at__isnull=True))
    if len(found) != len(wanted):
        raise ValidationError({"participants": _("Choose participants of this case.")})
    return found


def act_draft(
    *,
    case: Case,
    actor: User,
    act_type: ProceduralActType,
    language: str,
    place: str,
    fields: dict | None = None,
    body: str = "",
    participant_ids: Iterable[int] = (),
    supersedes: ProceduralAct | None = None,
    reason: str,
) -> ProceduralAct:
    """Save a new draft in ``case`` (locked by the caller) under the case's next number.

    Shared by drafting (act_create) and by the workflow's supersede step, which drafts the
    correction of a signed act; each caller writes its own audit row.
    """
    number = (ProceduralAct.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
    act = ProceduralAct(
        case=case,
        act_type=act_type,
        number=number,
        author=actor,
        language=language,
        place=(place or "").strip(),
        fields=fields or {},
        body=body,
        supersedes=supersedes,
    )
    participants = _participants_of(case.pk, participant_ids)
    save_attributed(act, actor=actor, reason=reason)
    act.participants.set(participants)
    return act


@transaction.atomic
def act_create(
    *,
    case_id: int,
    actor: User,
    act_type: ProceduralActType,
    language: str,
    place: str,
    fields: dict | None = None,
    body: str = "",
    participant_ids: Iterable[int] = (),
) -> ProceduralAct:
    """Draft a new act in the case; its number is the next in the case (the case row is locked).

    A correction of a signed act is drafted by the workflow's ``supersede`` step instead.
    """
    case = access.lock_case(case_id, actor=actor, action=access.CHANGE)
    if not act_type.is_active:
        raise ValidationError({"act_type": _("This act type is no longer in use.")})
    if act_type.kind == ActKind.PROSECUTOR_DECISION:
        # Drawn up only with the prosecutor's decision itself (cases/services/decisions.py).
        raise ValidationError({"act_type": _("A prosecutor's decision is drawn up with the decision, not drafted.")})
    act = act_draft(
        case=case,
        actor=actor,
        act_type=act_type,
        language=language,
        place=place,
        fields=fields,
        body=body,
        participant_ids=participant_ids,
        reason=_("Drafted"),
    )
    audit_record(
        actor=actor,
        event=EventType.ACT_CREATED,
        case_id=case.pk,
        target=act,
        data={"number": act.number, "type": act_type.code},
    )
    return act


@transaction.atomic
def act_update(
    *,
    act_id: int,
    actor: User,
    expected_version: int,
    reason: str = "",
    participant_ids: Iterable[int] | None = None,
    **changes,
) -> ProceduralAct:
    """Edit a draft or a returned act (language, place, fields, body, participants)."""
    unknown = set(changes) - {"language", "place", "fields", "body"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    act = access.locked(ProceduralAct, act_id, actor=actor, action=access.CHANGE)
    if act.status not in EDITABLE_STATUSES:
        raise ValidationError(_("Only a draft or a returned act can be edited."), code="act_locked")
    if act.version != expected_version:
        raise StaleEdit(_("Someone else changed this act meanwhile; reload it and repeat your change."), code="stale")
    for name, value in changes.items():
        setattr(act, name, value)
    act.version += 1
    save_attributed(act, actor=actor, reason=reason or _("Edited"))
    if participant_ids is not None:
        act.participants.set(_participants_of(act.case_id, participant_ids))
    audit_record(
        actor=actor,
        event=EventType.ACT_CHANGED,
        case_id=act.case_id,
        target=act,
        data={"fields": sorted(changes), "participants": participant_ids is not None, "version": act.version},
    )
    return act


@transaction.atomic
def act_withdraw(*, act_id: int, actor: User, reason: str) -> ProceduralAct:
    """Withdraw an act that never took effect (draft or returned); signed acts are superseded instead."""
    not_editable = ValidationError(_("Only a draft or a returned act can be withdrawn."), code="act_locked")

    def editable(act: ProceduralAct) -> None:
        if act.status not in EDITABLE_STATUSES:
            raise not_editable

    return withdraw(
        ProceduralAct,
        act_id,
        actor=actor,
        reason=reason,
        event=EventType.ACT_WITHDRAWN,
        reason_missing=_("State why the act is withdrawn."),
        already_withdrawn=not_editable,
        precondition=editable,
    )
