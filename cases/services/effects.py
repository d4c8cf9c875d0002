"""The effect engine: an act in force changes its case as its type says (issue #18, "decrees drive state").

``act_effects_apply`` runs in the transaction that brings an act into force, with its case and act
locked: the worker's seal of a signed act (cases/services/act_workflow.py) or the record of a
granted judge's sanction (cases/services/sanction.py). Each effect of the act's type
(``ProceduralActType.effects``, vocabulary in cases/effects.py) goes to the service that owns that
change (case status, participant role, qualification), which records the act on what it changes.

Each effect leaves one ``ActEffect`` row, applied or not: the row makes the engine idempotent (a
second call — a retry, a re-seal attempt — finds it and does nothing). An effect that no longer fits
the case (an interruption of a case terminated meanwhile, an indictment of a person who is not a
suspect) is refused by its service; the act stays signed — its signatures are facts, and refusing
the seal would leave the worker retrying a decision nobody can take back — and the refusal is kept
as the effect's outcome, shown on the act's page and audited. Putting it right is a new act.
Each effect runs in a savepoint: a refused one leaves nothing half-done, and the others still apply.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record

from .. import effects as vocabulary
from ..models import ActEffect, CriminalCodeArticle, ProceduralAct
from .case import case_requalify, case_status_by_act
from .participants import participant_role_by_act, prosecution_terminate_by_act


def _apply_one(act: ProceduralAct, effect: dict, actor: User) -> str:
    kind, fields = effect["type"], act.fields or {}
    if kind == vocabulary.CASE_STATUS:
        return case_status_by_act(act=act, action=effect["action"], actor=actor)
    if kind == vocabulary.PARTICIPANT_ROLE:
        return participant_role_by_act(
            act=act, role=effect["role"], participant_id=fields.get(effect["field"]), actor=actor
        )
    if kind == vocabulary.PROSECUTION_TERMINATED:
        return prosecution_terminate_by_act(act=act, participant_id=fields.get(effect["field"]), actor=actor)
    if kind == vocabulary.QUALIFICATION:
        articles = _articles(fields.get(effect["field"]))
        dated = _offence_date(fields.get(effect.get("date_field", "")))
        points = _points(str(fields.get(effect.get("points_field", "")) or ""), articles)
        case_requalify(act=act, actor=actor, articles=articles, points=points, **dated)
        return _("Qualification: %(codes)s.") % {"codes": ", ".join(sorted(a.code for a in articles))}
    # term_extension: applied by the prosecutor's decision service when it was taken (cases/services/term.py).
    return _("Applied by the prosecutor's decision when it was taken.")


def _points(text: str, articles: list[CriminalCodeArticle]) -> dict[int, str]:
    """The points the decree states, "190-2: 4; 188-3: 1", by part id (their form is checked by the service)."""
    by_code, points = {a.code: a.pk for a in articles}, {}
    for item in filter(None, (chunk.strip() for chunk in text.replace(",", ";").split(";"))):
        code, _colon, point = (x.strip() for x in item.partition(":"))
        if code not in by_code or not point:
            raise ValidationError(_("The act's point “%(item)s” names no part of its qualification.") % {"item": item})
        points[by_code[code]] = point
    return points


def _offence_date(raw) -> dict:
    """The offence date the decree corrects, if it states one: ``{"event_date": day}`` or nothing."""
    if not raw:
        return {}
    try:
        return {"event_date": date.fromisoformat(str(raw))}
    except ValueError:
        raise ValidationError(_("The act's offence date is not a date: %(value)s.") % {"value": raw}) from None


def _articles(codes) -> list[CriminalCodeArticle]:
    """The parts an act's article field names by code ("188-1", or a list of them); an unknown one is refused."""
    found = []
    for code in codes if isinstance(codes, list) else [codes]:
        number, _dash, part = str(code or "").rpartition("-")
        article = (
            CriminalCodeArticle.objects.filter(article=number, part=part, is_active=True).first()
            if number and part.isdigit()
            else None
        )
        if article is None:
            raise ValidationError(
                _("The act names an unknown article of the Criminal Code: %(code)s.") % {"code": code}
            )
        found.append(article)
    if not found:
        raise ValidationError(_("The act names no article of the Criminal Code."))
    return found


def act_effects_apply(act: ProceduralAct) -> list[ActEffect]:
    """Apply the effects of ``act`` if it is in force and they are not yet recorded; return the new rows."""
    if not act.in_force:
        return []
    done = set(ActEffect.objects.filter(act=act).values_list("position", flat=True))
    actor = act.signed_by or act.author
    rows = []
    for position, effect in enumerate(act.act_type.effects or []):
        if position in done:
            continue
        try:
            with transaction.atomic():
                outcome, applied = _apply_one(act, effect, actor), True
        except ValidationError as refusal:
            outcome, applied = " ".join(refusal.messages), False
        rows.append(
            ActEffect.objects.create(act=act, position=position, effect=effect, applied=applied, outcome=outcome)
        )
        if not applied:
            audit_record(
                actor=actor,
                event=EventType.CASE_CHANGED,
                case_id=act.case_id,
                target=act,
                data={"effect": effect, "applied": False, "reason": outcome},
            )
    return rows
