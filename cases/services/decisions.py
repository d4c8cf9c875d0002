"""The supervising prosecutor's own decisions as signed documents (issue #17).

A refusal to agree an act, a term extension, a return for additional investigation and the
cancellation of a termination are each the prosecutor's procedural act: an act of a type of kind
``prosecutor`` (cases/data/act_types.json), drawn up here from what the prosecutor decided and
signed by them as its author in the same transaction as the decision. It then goes the way of
every act: the author's signature is queued (``ActRendering``), a Celery worker appends it with
the prosecutor's own certificate and seals the act, and it is listed with the case's acts, in the
export and on the verification page.

These acts are written only here. The drafting forms and the API refuse their types
(``act_create``), and the prosecutor holds no ``change``: the author's step of these types needs
``prosecute`` (cases/act_transitions.py, ``AUTHOR_RIGHT``), so the prosecutor signs their decision
without gaining any way to write the file's content.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record

from ..choices import ActKind, CaseAction, Language
from ..models import Case, ProceduralAct, ProceduralActType
from .acts import act_draft

REFUSAL_TYPE = "agreement_refusal"
EXTENSION_TYPE = "term_extension"
# The case transitions that are the prosecutor's decisions, and the act type of each.
CASE_DECISION_TYPES = {
    CaseAction.RETURN: "additional_investigation_return",
    CaseAction.REOPEN: "termination_cancellation",
}


def decision_language(actor: User) -> str:
    """The prosecutor's decision is written in their own language (English pages: Russian acts)."""
    return actor.language if actor.language in Language.values else Language.RUSSIAN


def act_title(act: ProceduralAct, language: str) -> str:
    """ "№3 <type name>" in ``language``: how a decision names the act it is about."""
    name = (act.act_type.name_kk if language == Language.KAZAKH else "") or act.act_type.name_ru
    return f"№{act.number} {name}"


def decision_act_sign(*, case: Case, actor: User, type_code: str, fields: dict, reason: str) -> ProceduralAct:
    """Draw up the prosecutor's decision of ``type_code`` in ``case`` and sign it as its author.

    ``case`` is locked by the caller, the decision's service, whose transaction this joins: the
    decision and its signed document commit together or not at all. Empty optional fields are left
    out. Returns the act, decided and waiting for the worker's signature.
    """
    from ..act_transitions import ActAction
    from .act_workflow import act_transition

    act_type = ProceduralActType.objects.filter(
        code=type_code, kind=ActKind.PROSECUTOR_DECISION, is_active=True
    ).first()
    if act_type is None:
        raise ValidationError(
            _("The act type of this decision is not configured: load the reference data (%(code)s).")
            % {"code": type_code}
        )
    unit = actor.unit or case.unit
    act = act_draft(
        case=case,
        actor=actor,
        act_type=act_type,
        language=decision_language(actor),
        place=unit.city or str(unit),
        fields={name: value for name, value in fields.items() if value not in ("", None)},
        reason=reason,
    )
    audit_record(
        actor=actor,
        event=EventType.ACT_CREATED,
        case_id=case.pk,
        target=act,
        data={"number": act.number, "type": type_code, "decision": True},
    )
    return act_transition(act_id=act.pk, action=ActAction.SIGN, actor=actor)


def refusal_act_sign(*, act: ProceduralAct, actor: User, reason: str) -> ProceduralAct:
    """The prosecutor's signed refusal to agree ``act`` (locked by the act workflow), with the reasons."""
    return decision_act_sign(
        case=act.case,
        actor=actor,
        type_code=REFUSAL_TYPE,
        fields={"refused_act": act_title(act, decision_language(actor)), "reasons": reason},
        reason=reason,
    )
