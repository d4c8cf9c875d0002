"""The act as its PDF will print it, in HTML: the same layout template and snapshot, before approval.

The supervisor reads what they are about to sign. Before approval the snapshot is taken from a
copy of the act that names the reviewing supervisor as approver (as the approval will); the
stored act is not touched. After approval it is the snapshot the PDF was rendered from. Values reach the markup HTML-escaped (cases/pdf/layout.py); of the template's own
inline tags only <b>, <i> and <br/> survive here.
"""

from __future__ import annotations

import copy
import re

from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..models import ActRendering, ProceduralAct
from ..pdf.layout import layout_markup
from ..pdf.markup import CELL, parse
from ..pdf.snapshot import act_snapshot

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


def act_preview_html(act: ProceduralAct, *, approver, rendering: ActRendering | None = None) -> SafeString:
    """The act's printed layout; once approved, from the snapshot frozen for its PDF (``rendering``)."""
    if rendering is not None:
        snapshot = rendering.snapshot
    else:
        act = copy.copy(act)
        act.approved_by, act.approved_at = approver, timezone.now()
        snapshot = act_snapshot(act)
    parts = []
    box: list[str] = []
    for block in parse(layout_markup(snapshot)):
        if block.kind != "box" and box:
            parts.append(_box(box))
            box = []
        if block.kind == "box":
            box.append(block.text)
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
