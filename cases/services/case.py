"""Changes of a registered case: content edits, requalification, assignment, status transitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import StaleEdit
from ecase.history import save_attributed

from .. import access
from ..choices import CaseAction, CaseStatus, Gravity
from ..models import (
    Case,
    CaseArticle,
    CriminalCodeArticle,
    CriminalCodeArticleVersion,
    Interruption,
    ProceduralAct,
)
from ..models.status_log import record_status_change
from ..proceedings_forms import check_form
from ..transitions import (
    CASE_TRANSITIONS,
    DECREE_ACTIONS,
    GROUND_REQUIRED,
    REASON_REQUIRED,
    case_action_refusal,
    decree_needed,
)
from .decisions import CASE_DECISION_TYPES, decision_act_sign
from .registration import (
    gravity_in_force,
    gravity_of_versions,
    qualification_codes,
    require_supervisor_for_grave,
    resolve_articles,
    resolve_points,
    set_qualification,
)
from .term import refresh_deadline

EDITABLE_FIELDS = ("plot", "event_date", "proceedings_form")
# The act type whose effect requalifies a case (cases/data/act_types.json).
QUALIFICATION_TYPE = "qualification"
M2M_EXCLUDE = ["registration_number", "articles", "group"]


def _check_version(case: Case, expected_version: int) -> None:
    # The row was read FOR UPDATE (lock_case), so its version cannot move before this transaction
    # ends: comparing here is the ``UPDATE … WHERE version = %s`` check without a statement of its own.
    if case.version != expected_version:
        raise StaleEdit(_("Someone else changed this case meanwhile; reload it and repeat your change."), code="stale")


# The foreign keys of a case that ``case_update`` never changes: their values come from the row it
# has just locked, and the database's foreign keys (ON DELETE PROTECT, users are never deleted)
# guarantee the rows they name exist. Django's validation would re-read each of them (one query
# per key), so the content edit leaves them out.
_UNCHANGED_BY_UPDATE = ["unit", "lead_investigator", "prosecutor", "supervisor", "created_by"]


@transaction.atomic
def case_update(*, case_id: int, actor: User, expected_version: int, reason: str, **changes) -> Case:
    """Edit the case's content (plot, event date, form) as one of its investigators.

    The qualification and the gravity are not touched here: they change only by ``case_requalify``.
    A new offence date that would give the case's articles another gravity under the law then in
    force is refused, so that protection never changes without that explicit, audited act.

    What it costs (issue #15; tests/cases/test_write_cost.py counts it): the row lock with the scope
    re-check (one statement), the UPDATE, the history row and its many-to-many snapshot (one
    statement per field), the audit event in its chain (three); a new offence date reads the
    articles and their versions once (two), a new form of proceedings the term's inputs (three).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    case = access.lock_case(case_id, actor=actor, action=access.CHANGE)
    _check_version(case, expected_version)
    before = {name: str(getattr(case, name)) for name in changes}
    offence_before, form_before = case.offence_on, case.proceedings_form
    for name, value in changes.items():
        setattr(case, name, value.strip() if isinstance(value, str) else value)
    if case.offence_on != offence_before:
        _refuse_gravity_change_by_date(case, offence_before)
    if case.proceedings_form != form_before:
        check_form(form=case.proceedings_form, gravity=case.gravity)
    # Case's check constraints are each restated by its validation with a message for the user (plot
    # not blank: ``Case.clean``; status and form: the fields' choices; version: raised by ``save`` from
    # the locked row) and enforced by the database at the UPDATE: testing them again costs three
    # statements each (issue #15).
    save_attributed(
        case, actor=actor, reason=reason, exclude=M2M_EXCLUDE + _UNCHANGED_BY_UPDATE, validate_constraints=False
    )
    if case.proceedings_form != form_before:
        # The term depends on the form, the registration day, extensions and interruptions; only the
        # form is edited here (the others move through their own services, which refresh the term).
        refresh_deadline(case, actor=actor, reason=reason)
    after = {name: str(getattr(case, name)) for name in changes}
    audit_record(
        actor=actor,
        event=EventType.CASE_CHANGED,
        case_id=case.pk,
        target=case,
        data={"from": before, "to": after, "reason": reason},
    )
    return case


def _refuse_gravity_change_by_date(case: Case, offence_before: date) -> None:
    """A corrected offence date may fall under another version of the law (УК РК art. 5). Keeping
    the old gravity would contradict the date, changing it silently would move the case's
    protection without a decision: the edit is refused, and the date is corrected by the qualification
    decree that changes the gravity with it (its ``offence_date``, issue #18)."""
    qualification = list(case.articles.all())
    # One read of the versions serves both days: those in force by the later one include the earlier's.
    versions = list(
        CriminalCodeArticleVersion.objects.filter(
            article__in=qualification, in_force_from__lte=max(offence_before, case.offence_on)
        ).order_by()
    )
    try:
        old, _versions = gravity_of_versions(qualification, versions, offence_before)
    except ValidationError:
        old = case.gravity  # a case older than the stored law: compare with what it has
    new, _versions = gravity_of_versions(qualification, versions, case.offence_on)
    if new != old:
        raise ValidationError(
            {
                "event_date": _(
                    "Under the law in force on this date the case would be “%(new)s”, not “%(old)s”: a change of "
                    "gravity is a requalification. State the date in a decree on the qualification of the suspect's act."
                )
                % {"new": Gravity(new).label, "old": Gravity(old).label}
            }
        )


def case_requalify(
    *,
    act: ProceduralAct,
    actor: User,
    articles: Iterable[CriminalCodeArticle | int],
    points: Mapping[int, str | None] | None = None,
    event_date: date | None = None,
) -> Case:
    """Change the qualification: the effect ``qualification`` of ``act``, in force (issue #18).

    The one change of a case's gravity after registration, and only a qualification decree in force
    makes it (cases/services/effects.py calls this inside the act's step, the case locked); no page or
    API requalifies directly. ``points`` gives the point (пункт) of a qualified part by its id; the
    points of parts the case keeps carry over. A gravity the case's form of proceedings does not allow
    is refused: the form is changed first (``case_update``), so that the act says which form the case
    runs in.

    The gravity is derived anew from the article versions in force on the offence date (the
    registration day if unknown; ``event_date``, where the decree states it, corrects it in the same
    act), the grants follow (a case leaving the grave categories becomes
    visible to the unit's supervisors here and only here) and one audit row names the old and new
    articles and gravity, and the act.
    """
    reason = str(act)
    case = Case.objects.select_for_update().get(pk=act.case_id)
    qualification = resolve_articles(articles)
    current = list(case.articles.all())
    current_points = {
        pk: str(point)
        for pk, point in CaseArticle.objects.filter(case=case, point__isnull=False).values_list("article_id", "point")
    }
    kept = {pk: point for pk, point in current_points.items() if pk in {a.pk for a in qualification}}
    chosen_points = resolve_points(qualification, {**kept, **(points or {})})
    before = {
        "articles": qualification_codes(current, current_points),
        "gravity": case.gravity,
        "event_date": str(case.event_date),
    }
    same = (
        {a.pk for a in qualification} == {a.pk for a in current}
        and chosen_points == current_points
        and event_date in (None, case.event_date)
    )
    if event_date is not None:
        if event_date > timezone.localdate():
            raise ValidationError(_("The offence date cannot be in the future."))
        case.event_date = event_date
    gravity, versions = gravity_in_force(qualification, case.offence_on)
    if same and gravity == case.gravity:
        # A requalification is an act of the file: one that changes nothing would only record noise. (The
        # same articles may still change the gravity, where a version in force on the offence date was
        # added since: a milder law applied, УК РК art. 6.)
        raise ValidationError(
            {
                "articles": _(
                    "The articles, the offence date and the gravity are as they were: there is nothing to requalify."
                )
            }
        )
    case.gravity = gravity
    check_form(form=case.proceedings_form, gravity=case.gravity, field="articles")
    require_supervisor_for_grave(gravity=case.gravity, supervisor=case.supervisor)
    save_attributed(case, actor=actor, reason=reason, exclude=M2M_EXCLUDE)
    set_qualification(case, qualification, chosen_points)
    grants = access.sync_grants(case)  # gravity decides whether unit supervisors see it
    after = {
        "articles": qualification_codes(qualification, chosen_points),
        "gravity": case.gravity,
        "event_date": str(case.event_date),
        "versions": versions,
    }
    audit_record(
        actor=actor,
        event=EventType.CASE_REQUALIFIED,
        case_id=case.pk,
        target=case,
        data={"from": before, "to": after, "reason": reason, "grants": grants, "decision_act": act.pk},
    )
    return case


def requalification_needs_decree() -> str:
    """Why a page or the API does not requalify: the act to draft (УПК РК art. 204; issue #18)."""
    return _(
        "The qualification changes only by a decree on the qualification of the suspect's act in force: "
        "draft that decree, have it agreed by the prosecutor."
    )


def _check_assignees(
    case: Case, lead: User, group: list[User], prosecutor: User | None, supervisor: User | None
) -> None:
    errors = {}
    if (
        lead.role != Role.INVESTIGATOR
        or not lead.is_active
        or lead.unit is None  # never, for an investigator (the constraint user_unit_unless_administrator)
        or not lead.unit.path.startswith(case.unit.path)
    ):
        errors["lead_investigator"] = _("The lead investigator must be an active investigator of the case's unit.")
    if any(u.role != Role.INVESTIGATOR or not u.is_active for u in group):
        errors["group"] = _("The investigative group consists of active investigators.")
    if prosecutor is not None and (prosecutor.role != Role.PROSECUTOR or not prosecutor.is_active):
        errors["prosecutor"] = _("Choose an active prosecutor.")
    if supervisor is not None and (
        supervisor.role != Role.SUPERVISOR
        or not supervisor.is_active
        or supervisor.unit is None  # never, for a supervisor (as above)
        or not case.unit.path.startswith(supervisor.unit.path)
    ):
        errors["supervisor"] = _("Choose an active supervisor of the case's unit or a unit above it.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_assign(
    *,
    case_id: int,
    actor: User,
    lead_investigator: User,
    group: Iterable[User] = (),
    prosecutor: User | None = None,
    supervisor: User | None = None,
    reason: str,
) -> Case:
    """Assign or reassign the people of a case; grants follow in the same transaction."""
    case = access.lock_case(case_id, actor=actor, action=access.ASSIGN)
    members = [u for u in group if u.pk != lead_investigator.pk]
    _check_assignees(case, lead_investigator, members, prosecutor, supervisor)
    require_supervisor_for_grave(gravity=case.gravity, supervisor=supervisor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State why the case is (re)assigned.")})
    before = {
        "lead": case.lead_investigator_id,
        "group": sorted(case.group.values_list("pk", flat=True)),
        "prosecutor": case.prosecutor_id,
        "supervisor": case.supervisor_id,
    }
    case.lead_investigator, case.prosecutor, case.supervisor = lead_investigator, prosecutor, supervisor
    save_attributed(case, actor=actor, reason=reason, exclude=M2M_EXCLUDE)
    case.group.set(members)
    grants = access.sync_grants(case)
    after = {
        "lead": case.lead_investigator_id,
        "group": sorted(u.pk for u in members),
        "prosecutor": case.prosecutor_id,
        "supervisor": case.supervisor_id,
    }
    audit_record(
        actor=actor,
        event=EventType.CASE_ASSIGNED,
        case_id=case.pk,
        target=case,
        data={"from": before, "to": after, "reason": reason, "grants": grants},
    )
    return case


@transaction.atomic
def case_transition(
    *, case_id: int, action: str, actor: User, reason: str = "", ground: str = "", on_date: date | None = None
) -> Case:
    """Take a step of CASE_TRANSITIONS that is a decision of its own, not the effect of a decree.

    Acceptance for investigation, and the prosecutor's return and cancellation of a termination
    (their signed document is drawn up here, issue #17). Every other step is the effect of an act in
    force (``DECREE_ACTIONS``, issue #18): refused here with the act type to draft.
    """
    reason, ground = (reason or "").strip(), (ground or "").strip()
    case = access.lock_case(case_id, actor=actor, action=access.VIEW)
    refusal = case_action_refusal(case, action, actor=actor)
    if refusal is not None:
        raise refusal
    if action in DECREE_ACTIONS:
        raise ValidationError(decree_needed(action, case), code="decree_needed")
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("State the reason for this decision.")})
    if action in GROUND_REQUIRED and not ground:
        raise ValidationError({"ground": _("Name the legal ground.")})
    day = on_date or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"on_date": _("The date cannot be in the future.")})
    decision_type = CASE_DECISION_TYPES.get(CaseAction(action))
    return _move(case, action, actor=actor, reason=reason, ground=ground, day=day, decision_type=decision_type)


def case_status_by_act(*, act: ProceduralAct, action: str, actor: User) -> str:
    """The effect ``case_status`` of ``act``, in force (cases/services/effects.py): move its case by ``action``.

    The act's signatures are the decision, so no right is asked of ``actor`` (the act's author, on
    whose behalf the change is recorded) beyond what signing it took; the case is locked by the
    caller (the act's step). Returns what changed; a step the case's status no longer allows is a
    ValidationError, which the engine records as the effect not applied.
    """
    case = Case.objects.select_for_update().get(pk=act.case_id)
    if case.status_changes.filter(decision_act=act, action=action).exists():
        # The prosecutor's return or cancellation moved the case when it was decided (issue #17).
        return _("Already applied when the decision was taken.")
    if (case.status, action) not in CASE_TRANSITIONS:
        raise ValidationError(
            _("A case that is “%(status)s” cannot be moved by “%(action)s”.")
            % {"status": case.get_status_display(), "action": CaseAction(action).label},
            code="transition",
        )
    fields = act.fields or {}
    reason = str(fields.get("justification") or fields.get("grounds") or fields.get("reasons") or act)
    day = _act_day(fields.get(_DAY_FIELDS.get(action, ""))) or timezone.localdate()
    ground = _ground_text(act, fields.get("ground"))
    if action in GROUND_REQUIRED and not ground:
        raise ValidationError(_("The act names no legal ground."))
    before = case.status
    _move(case, action, actor=actor, reason=reason, ground=ground, day=day, decision=act)
    return _("Status: %(from)s → %(to)s.") % {"from": CaseStatus(before).label, "to": case.get_status_display()}


def _ground_text(act: ProceduralAct, value) -> str:
    """The legal ground as the term tab and the log show it: the article and the wording of the act
    type's choice (cases/data/act_types.json), not the choice's key."""
    if not value:
        return ""
    spec: dict = next((f for f in act.act_type.fields if f["name"] == "ground"), {})
    choice = next((c for c in spec.get("choices", []) if c["value"] == value), None)
    if choice is None:
        return str(value)
    wording = choice.get("label_kk" if act.language == "kk" else "label_ru") or choice["label_ru"]
    text = f"{choice['article']}: {wording}" if choice.get("article") else wording
    return text[: Interruption._meta.get_field("ground").max_length]


# The act's own date of the change, where its type has one (else: the day it came into force).
_DAY_FIELDS: dict[str, str] = {CaseAction.INTERRUPT: "interrupted_from", CaseAction.RESUME: "resumed_from"}


def _act_day(raw) -> date | None:
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        return None
    return day if day <= timezone.localdate() else None


def _move(
    case: Case,
    action: str,
    *,
    actor: User,
    reason: str,
    ground: str,
    day: date,
    decision: ProceduralAct | None = None,
    decision_type: str | None = None,
) -> Case:
    """Apply a step already checked: the term's records, the status, the log row and the audit row."""
    entry = CASE_TRANSITIONS[(case.status, action)]
    if action == CaseAction.SEND_TO_PROSECUTOR and case.prosecutor_id is None:
        raise ValidationError(_("Assign the supervising prosecutor before sending the case."))
    before = case.status
    _record_interruption(case, action, actor=actor, day=day, ground=ground, reason=reason)
    case.status = entry[0]
    save_attributed(case, actor=actor, reason=reason or action, exclude=M2M_EXCLUDE)
    data: dict[str, str | int] = {
        "action": action,
        "from": before,
        "to": case.status,
        "reason": reason,
        "ground": ground,
    }
    if decision_type is not None:
        # The prosecutor's return or cancellation is their own signed document (issue #17), named by
        # the status change it made and by the audit row.
        decision = decision_act_sign(
            case=case, actor=actor, type_code=decision_type, fields={"reasons": reason}, reason=reason
        )
    if decision is not None:
        data["decision_act"] = decision.pk
    record_status_change(case, action=action, from_status=before, actor=actor, on_date=day, decision_act=decision)
    # After the status change is recorded: a return starts a new term from its day (cases/clocks.py).
    refresh_deadline(case, actor=actor, reason=reason or action)
    audit_record(actor=actor, event=EventType.CASE_TRANSITION, case_id=case.pk, target=case, data=data)
    return case


def _record_interruption(case: Case, action: str, *, actor: User, day: date, ground: str, reason: str) -> None:
    if action == CaseAction.INTERRUPT:
        interruption = Interruption(case=case, started_on=day, ground=ground, reason=reason)
        save_attributed(interruption, actor=actor, reason=reason)
    elif action == CaseAction.RESUME or (action == CaseAction.TERMINATE and case.status == CaseStatus.INTERRUPTED):
        interruption = case.interruptions.get(ended_on__isnull=True)
        if day < interruption.started_on:
            raise ValidationError({"on_date": _("Proceedings cannot resume before they were interrupted.")})
        interruption.ended_on, interruption.resume_reason = day, reason
        save_attributed(interruption, actor=actor, reason=reason)
