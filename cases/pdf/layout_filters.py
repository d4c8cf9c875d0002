"""Filters the act layouts may use without loading anything (the layout engine's builtins).

``agree`` picks the word that agrees with the persons of a participant field in a Russian
layout: ``{{ people.participant|agree:"потерпевшим|потерпевшей" }}``. An optional third form
is for several persons, a fourth for a snapshot that has no such entry (approved before names
were declined, or a field left empty); without them the first form serves.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def agree(entry, forms: str) -> str:
    parts = forms.split("|")
    masculine = parts[0]
    feminine, plural, unknown = (parts[i] if len(parts) > i and parts[i] else masculine for i in (1, 2, 3))
    if not isinstance(entry, dict) or not entry:
        return unknown
    if entry.get("many"):
        return plural
    return feminine if entry.get("female") else masculine
