"""What an act does to its case once in force: the vocabulary of ``ProceduralActType.effects`` (issue #18).

Each act type lists its effects beside its requirements in cases/data/act_types.json; an act with
no effect lists none. The engine that applies them is cases/services/effects.py. The vocabulary:

- ``{"type": "case_status", "action": <CaseAction>}``: the case moves along CASE_TRANSITIONS
  (cases/transitions.py); interruption and termination take their ground from the act's ``ground``.
- ``{"type": "participant_role", "role": "suspect"|"accused", "field": <participant field>}``:
  the person the field names takes the role.
- ``{"type": "qualification", "field": <article field>, "points_field": <text field>, "date_field": <date
  field>}``: the case is (re)qualified to the act's articles, with the points (пункты) its text field
  names ("190-2: 4; 188-3: 1"); ``date_field`` corrects the offence date with it, since the gravity
  follows the law in force on that date (УК РК art. 5; the decree states when, УПК art. 204). Both optional.
- ``{"type": "prosecution_terminated", "field": <participant field>}``: the prosecution of that one
  suspect ends; the case goes on.
- ``{"type": "term_extension"}``: the prosecutor's extension, applied by its own decision service
  (cases/services/term.py); listed so that the act's page says what it did.

Every entry may carry ``article`` (the УПК РК article that gives the effect), ``needs_verification``
and ``note``. ``check_effects`` refuses anything else, so a typo in the data fails the load, not an act.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .choices import CaseAction, ParticipantRole

CASE_STATUS = "case_status"
PARTICIPANT_ROLE = "participant_role"
QUALIFICATION = "qualification"
PROSECUTION_TERMINATED = "prosecution_terminated"
TERM_EXTENSION = "term_extension"

# Per effect type: its own keys, and the field type its ``field`` must name (None: it names none).
_SHAPES: dict[str, tuple[set[str], str | None]] = {
    CASE_STATUS: ({"action"}, None),
    PARTICIPANT_ROLE: ({"role", "field"}, "participant"),
    QUALIFICATION: ({"field"}, "article"),
    PROSECUTION_TERMINATED: ({"field"}, "participant"),
    TERM_EXTENSION: (set(), None),
}
_COMMON = {"type", "article", "needs_verification", "note"}
_OPTIONAL = {QUALIFICATION: {"date_field", "points_field"}}
# The roles only a decree gives (УПК РК art. 64 part 1, art. 65): never picked on a form.
DECREE_ROLES = {ParticipantRole.SUSPECT, ParticipantRole.ACCUSED}


def check_effects(code: str, effects: object, fields: list[dict]) -> None:
    """Refuse effects outside the vocabulary, or naming a field the type does not have (or of the wrong kind)."""
    if not isinstance(effects, list):
        raise ValidationError(f"{code}: effects must be a list")
    kinds = {spec["name"]: spec.get("type", "text") for spec in fields}
    for position, effect in enumerate(effects):
        where = f"{code} effect {position}"
        if not isinstance(effect, dict) or effect.get("type") not in _SHAPES:
            raise ValidationError(f"{where}: unknown effect type {effect!r}")
        own, field_kind = _SHAPES[effect["type"]]
        missing, unknown = own - set(effect), set(effect) - own - _COMMON - _OPTIONAL.get(effect["type"], set())
        if missing or unknown:
            raise ValidationError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        if effect["type"] == CASE_STATUS and effect["action"] not in CaseAction.values:
            raise ValidationError(f"{where}: unknown case action {effect['action']!r}")
        if effect["type"] == PARTICIPANT_ROLE and effect["role"] not in DECREE_ROLES:
            raise ValidationError(f"{where}: a decree gives the role of suspect or accused, not {effect['role']!r}")
        if field_kind is not None and kinds.get(effect["field"]) != field_kind:
            raise ValidationError(f"{where}: the type has no {field_kind} field {effect['field']!r}")
        for key, kind in (("date_field", "date"), ("points_field", "text")):
            if key in effect and kinds.get(effect[key]) != kind:
                raise ValidationError(f"{where}: the type has no {kind} field {effect[key]!r}")
        if effect["type"] == CASE_STATUS and effect["action"] in (CaseAction.INTERRUPT, CaseAction.TERMINATE):
            if kinds.get("ground") != "choice":
                raise ValidationError(f"{where}: {effect['action']} takes its ground from a choice field 'ground'")


def status_action_types(effects_by_code: dict[str, list[dict]]) -> dict[str, str]:
    """CaseAction → the code of the act type whose effect takes it (the first such type)."""
    found: dict[str, str] = {}
    for code, effects in effects_by_code.items():
        for effect in effects:
            if effect.get("type") == CASE_STATUS:
                found.setdefault(effect["action"], code)
    return found
