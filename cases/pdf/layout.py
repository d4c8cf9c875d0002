"""The layouts of acts are data: one template per act type and language, templates/acts/<code>.<lang>.txt.

A template is a Django template (autoescaped) that writes the small line markup of
``cases.pdf.markup``. It extends ``_base.<lang>.txt``, which prints what every act carries
(registration number, number, place and date, participants, the electronic-signature note
and one signature block per signing role). A type without its own file falls back to
``_generic.<lang>.txt``, which lists the type's fields with their labels, so a type an
administrator adds still renders. ``labels.json`` holds the words of the page chrome and
of formatted values (months, roles, articles) per language.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache

from django.conf import settings
from django.template import Context, Engine

GENERIC = "_generic"


def layout_dir():
    return settings.BASE_DIR / "templates" / "acts"


@cache
def layout_engine(string_if_invalid: str = "") -> Engine:
    # Autoescape HTML: values can never open a markup line (they cannot contain "<"), and
    # reportlab's paragraph parser reads the escaped entities back as text.
    return Engine(
        dirs=[str(layout_dir())],
        autoescape=True,
        string_if_invalid=string_if_invalid,
        builtins=["cases.pdf.layout_filters"],
    )


@cache
def layout_labels(language: str) -> dict:
    with open(layout_dir() / "labels.json", encoding="utf-8") as fh:
        return json.load(fh)[language]


def layout_template_name(type_code: str, language: str) -> str:
    own = f"{type_code}.{language}.txt"
    return own if (layout_dir() / own).is_file() else f"{GENERIC}.{language}.txt"


# A snapshot frozen before acts had signing roles (schema 2) was signed by its approver alone.
LEGACY_SIGNATURE_ROLES = ["approver"]


def signature_roles_of(snapshot: dict) -> list[str]:
    """The roles whose blocks the act's PDF carries, in signing order (a requeued old snapshot: the approver)."""
    return snapshot.get("signature_roles") or LEGACY_SIGNATURE_ROLES


def layout_markup(snapshot: dict, *, engine: Engine | None = None) -> str:
    """The act's markup: its type's template in its language, rendered from the snapshot, NFC."""
    engine = engine or layout_engine()
    template = engine.get_template(layout_template_name(snapshot["act"]["type_code"], snapshot["language"]))
    context = {**snapshot, "signature_roles": signature_roles_of(snapshot)}
    return unicodedata.normalize("NFC", template.render(Context(context)))
