"""What an act prints, frozen when its author signs it: the render reads this and nothing else.

Values are formatted here, in the act's language (dates, choices, participants, articles),
from the act as signed; a later change of a person's record does not alter the PDF of an
act signed before it. The PDF is rendered once, for the author's signature; the approver and
the prosecutor sign that same PDF later, each in the block the snapshot reserved for their role. Every text is normalised to NFC so that "ә" typed as "ә" (a +
combining mark) prints and searches like the precomposed letter.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..models import CriminalCodeArticle, Participant, ProceduralAct
from ..qualification import case_qualification, qualification_label
from ..signing.roles import act_signature_roles
from .declension import CASES, FEMALE, declined, join_names, sex_of
from .layout import layout_labels

# 2: ``people`` (participants named in the act's fields, declined) and roles agreeing with sex.
# 3: rendered for the author's signature: ``signature_roles`` (one block per role), no ``approver``,
#    the act's date is the author's signing date. A schema-2 snapshot still renders (layout.py).
SCHEMA = 3


def format_date(value: date, language: str) -> str:
    labels = layout_labels(language)
    return labels["date"].format(day=value.day, month=labels["months"][value.month - 1], year=value.year)


def _short_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _datetime(raw: str) -> str:
    moment = datetime.fromisoformat(raw)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%d.%m.%Y %H:%M")


def _female(participant: Participant) -> bool:
    person = participant.person
    return (
        sex_of(iin=person.iin, sex=person.sex, first_name=person.first_name, middle_name=person.middle_name) == FEMALE
    )


def _participant(participant: Participant, language: str) -> dict[str, str]:
    labels = layout_labels(language)
    # A role is a noun or participle that agrees with the person in Russian (потерпевшая, понятая).
    roles = labels.get("roles_female", labels["roles"]) if _female(participant) else labels["roles"]
    return {
        "name": participant.person.full_name,
        "role": roles.get(participant.role, labels["roles"][participant.role]),
    }


def _people(act: ProceduralAct) -> dict[str, dict]:
    """Each participant field of the act, its persons' names declined: ``people.<field>.<case>``.

    Russian sentences put a name in the case they need («допросил свидетеля Иванову Марию
    Петровну»); ``female`` lets the words around it agree («признать … потерпевшей»), ``many``
    says several persons are named. Kazakh layouts name persons in the nominative (their
    constructions are written so), so a Kazakh act gets the nominative in every case.
    """
    specs = [s for s in act.act_type.fields if s.get("type") in ("participant", "participants")]
    ids = {s["name"]: _ids(act.fields.get(s["name"])) for s in specs}
    wanted = {i for many in ids.values() for i in many}
    found = {
        p.pk: p.person for p in Participant.objects.filter(case_id=act.case_id, pk__in=wanted).select_related("person")
    }
    people = {}
    for name, many in ids.items():
        persons = [found[i] for i in many if i in found]
        if not persons:
            continue
        names = [declined(p.last_name, p.first_name, p.middle_name, iin=p.iin, sex=p.sex) for p in persons]
        if act.language != "ru":
            names = [type(n)(forms=dict.fromkeys(CASES, n["nomn"]), female=n.female) for n in names]
        people[name] = {case: join_names(n[case] for n in names) for case in CASES} | {
            "female": all(n.female for n in names),
            "many": len(names) > 1,
        }
    return people


def _ids(raw: Any) -> list[int]:
    many = raw if isinstance(raw, list) else [raw]
    return [int(i) for i in many if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]


def _linked_article(link, language: str) -> str:
    """A part of the case's qualification; with its point, as "п. 4 ч. 2 ст. 190 — …" (cases/qualification.py)."""
    if not link.point:
        return _article(link.article.code, language)
    return qualification_label(link.article, link.point, language)


def _article(code: str, language: str) -> str:
    number, _, part = str(code).rpartition("-")
    article = CriminalCodeArticle.objects.filter(article=number, part=part or 0).first() if part.isdigit() else None
    if article is None:
        return str(code)
    title = article.title_kk if language == "kk" else article.title_ru
    return layout_labels(language)["article"].format(article=article.article, part=article.part, title=title)


def _value(spec: dict, raw: Any, act: ProceduralAct) -> str:
    """One structured field as printed; references resolve only inside the act's own case.

    Reference fields hold one id (or code) from the form, or a list of them (the demo
    generator, the API); both print as a list.
    """
    kind, language = spec.get("type", "text"), act.language
    if raw in (None, "", []):
        return ""
    many = raw if isinstance(raw, list) else [raw]
    if kind == "date":
        return _short_date(date.fromisoformat(raw))
    if kind == "datetime":
        return _datetime(raw)
    if kind == "integer":
        return f"{int(raw):,}".replace(",", "\u00a0")
    if kind == "choice":
        key = "label_kk" if language == "kk" else "label_ru"
        return next((c.get(key, c["value"]) for c in spec.get("choices", []) if c["value"] == raw), str(raw))
    if kind in ("participant", "participants"):
        found = {p.pk: p for p in Participant.objects.filter(case_id=act.case_id, pk__in=many).select_related("person")}
        return "; ".join(
            f"{found[i].person.full_name} ({_participant(found[i], language)['role']})" for i in many if i in found
        )
    if kind == "evidence":
        items = {item.pk: item for item in act.case.evidence_items.filter(pk__in=many)}
        return "; ".join(f"№{items[i].number} — {items[i].description}" for i in many if i in items)
    if kind == "article":
        return "; ".join(_article(code, language) for code in many)
    return str(raw)


def _person(user, language: str) -> dict[str, str]:
    """A person as the act prints them: the position in the act's language (issue #16)."""
    return {
        "name": user.get_full_name() or user.username,
        "short": user.short_name(),
        "position": user.position_in(language),
    }


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def act_snapshot(act: ProceduralAct, *, signature_roles: list[str], signed_at: datetime) -> dict:
    """Everything the layout of ``act`` prints; called when its author signs it at ``signed_at``.

    ``signature_roles`` are the roles that will sign the PDF (the author first, then the
    approver and the prosecutor where the act needs them): the layout reserves a block for each.
    """
    roles = act_signature_roles(signature_roles)
    if timezone.is_naive(signed_at):
        raise ValueError("signed_at must be an aware datetime")
    language, case = act.language, act.case
    label = "label_kk" if language == "kk" else "label_ru"
    fields = {spec["name"]: _value(spec, act.fields.get(spec["name"]), act) for spec in act.act_type.fields}
    field_list = [
        {"label": spec.get(label) or spec["name"], "value": fields[spec["name"]]}
        for spec in act.act_type.fields
        if fields[spec["name"]]
    ]
    unit = case.unit
    superseded = act.supersedes if act.supersedes_id else None
    return _nfc(
        {
            "schema": SCHEMA,
            "language": language,
            "act": {
                "number": act.number,
                "version": act.version,
                "type_code": act.act_type.code,
                "type_name": act.act_type.name_kk if language == "kk" else act.act_type.name_ru,
                "cpc_article": act.act_type.cpc_article,
                "place": act.place,
                "date": format_date(timezone.localdate(signed_at), language),
                "body": act.body,
                "token": act.verification_token,
                "verification_url": settings.ECASE_PUBLIC_URL + reverse("verify:act", args=[act.verification_token]),
                "supersedes": superseded.number if superseded is not None else None,
            },
            "case": {
                "registration_number": case.registration_number,
                "registered_on": _short_date(timezone.localdate(case.registered_at)),
                "articles": [_linked_article(link, language) for link in case_qualification(case)],
                "unit": unit.name_kk if language == "kk" else unit.name_ru,
            },
            "author": _person(act.author, language),
            "signature_roles": roles,
            "participants": [
                _participant(p, language) for p in act.participants.select_related("person").order_by("role", "id")
            ],
            "fields": fields,
            "field_list": field_list,
            "people": _people(act),
        }
    )
