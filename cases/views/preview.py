"""The act as its PDF will print it, in HTML: the same layout template and snapshot, before it is signed.

Whoever reads it sees what the author's signature renders: a snapshot taken now, with a block
for each role that will sign (empty frames: the stamps come with the signatures). Once the
PDF exists it is the snapshot it was rendered from. Values reach the markup HTML-escaped
(cases/pdf/layout.py); of the template's own inline tags only <b>, <i> and <br/> survive here.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..models import ActRendering, ProceduralAct
from ..pdf.layout import layout_markup
from ..pdf.markup import CELL, parse
from ..pdf.snapshot import act_snapshot
from ..services.act_rendering import signature_roles as act_signature_roles_for

NOT_ALLOWED_TAG = re.compile(r"<(?!/?[bi]>|br\s*/?>)[^>]*>")
CLASSES = {
    "title": "act-title",
    "subtitle": "act-subtitle",
    "center": "act-center",
    "right": "act-right",
    "section": "act-section",
    "noindent": "act-noindent",
    "plain": "act-para",
}


def _inline(text: str) -> SafeString:
    return mark_safe(NOT_ALLOWED_TAG.sub("", text))  # values arrive escaped; only the allowed tags remain


def act_preview_html(
    act: ProceduralAct, *, rendering: ActRendering | None = None, signature_roles: list[str] | None = None
) -> SafeString:
    """The act's printed layout; once rendered, from the snapshot frozen for its PDF (``rendering``).

    Before that, as the author's signature would render it now, with blocks for
    ``signature_roles`` (by default the roles its requirements call for).
    """
    if rendering is not None:
        # Only the first signature of a round carries the snapshot; the later ones sign its PDF.
        snapshot = rendering.snapshot or (
            ActRendering.objects.filter(act_id=rendering.act_id, act_version=rendering.act_version)
            .order_by("step")
            .values_list("snapshot", flat=True)
            .first()
            or {}
        )
    else:
        roles = signature_roles if signature_roles is not None else act_signature_roles_for(act)
        snapshot = act_snapshot(act, signature_roles=roles, signed_at=timezone.now())
    parts = []
    box: list[str] = []
    for block in parse(layout_markup(snapshot)):
        if block.kind != "box" and box:
            parts.append(_box(box))
            box = []
        if block.kind == "box":
            box.append(block.text)
        elif block.kind == "signature":
            _role, _sep, heading = block.text.partition(CELL)
            parts.append(
                mark_safe(
                    f'<div class="act-row act-signature"><span><b>{_inline(heading)}</b></span>'
                    '<span class="act-stamp"></span></div>'
                )
            )
        elif block.kind == "space":
            parts.append(mark_safe('<div class="act-space"></div>'))
        elif block.kind == "row":
            left, _sep, right = block.text.partition(CELL)
            parts.append(
                mark_safe(f'<div class="act-row"><span>{_inline(left)}</span><span>{_inline(right)}</span></div>')
            )
        else:
            parts.append(mark_safe(f'<p class="{CLASSES[block.kind]}">{_inline(block.text)}</p>'))
    if box:
        parts.append(_box(box))
    return mark_safe("".join(parts))


def _box(lines: list[str]) -> SafeString:
    return mark_safe(
        '<div class="act-box">' + format_html_join("", "<p>{}</p>", ((_inline(line),) for line in lines)) + "</div>"
    )
