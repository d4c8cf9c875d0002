"""The Russian names of reference data that have a Kazakh version: none may show on a Kazakh page.

Reference data (articles, act types with their fields and choices, units, terms) holds both names;
the statuses, roles, forms and kinds are translated in the catalogues. A Kazakh page that shows the
Russian one of these has taken a name from the wrong column or an untranslated label (issue #16).
"""

from __future__ import annotations

from django.utils import translation

MIN_LENGTH = 4  # shorter strings ("Да") also occur inside ordinary words


def _choices() -> list[type]:
    from accounts.choices import Role, UnitKind
    from cases.choices import ActKind, ActStatus, CaseAction, CaseStatus, Gravity, ParticipantRole, ProceedingsForm, Sex
    from evidence.choices import EvidenceKind, EvidenceStatus

    return [
        Role,
        UnitKind,
        ActKind,
        ActStatus,
        CaseAction,
        CaseStatus,
        Gravity,
        ParticipantRole,
        ProceedingsForm,
        Sex,
        EvidenceKind,
        EvidenceStatus,
    ]


def russian_reference_names() -> dict[str, str]:
    """{Russian name: what it names} for every reference name whose Kazakh version differs."""
    from accounts.models import Unit
    from cases.models import CriminalCodeArticle, ProceduralActType, ProceedingsTerm

    pairs: list[tuple[str, str, str]] = []
    for a in CriminalCodeArticle.objects.all():
        pairs.append((a.title_ru, a.title_kk, f"article {a.code}"))
    for t in ProceduralActType.objects.all():
        pairs.append((t.name_ru, t.name_kk, f"act type {t.code}"))
        for spec in t.fields:
            pairs.append((spec.get("label_ru", ""), spec.get("label_kk", ""), f"field {t.code}.{spec['name']}"))
            for choice in spec.get("choices", []):
                pairs.append((choice.get("label_ru", ""), choice.get("label_kk", ""), f"choice {spec['name']}"))
    for u in Unit.objects.all():
        pairs.append((u.name_ru, u.name_kk, f"unit {u.code}"))
    for term in ProceedingsTerm.objects.all():
        pairs.append((term.name_ru, term.name_kk, f"term {term.form}"))
    for choices in _choices():
        for value, label in choices.choices:
            with translation.override("ru"):
                ru = str(label)
            with translation.override("kk"):
                kk = str(label)
            pairs.append((ru, kk, f"{choices.__name__}.{value}"))
    return {ru: what for ru, kk, what in pairs if ru and kk and ru != kk and len(ru) >= MIN_LENGTH}


def russian_names_in(text: str, names: dict[str, str]) -> list[str]:
    return sorted(f"{ru!r} ({what})" for ru, what in names.items() if ru in text)
