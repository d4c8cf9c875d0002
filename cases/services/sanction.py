"""Recording an investigating judge's decision on an act that needs it (УПК РК art. 55; issue #17).

The author of the act (or anyone holding CHANGE on its case) records what the court decided,
with the scan of the court's decision; the act is in force only once a granted sanction is on
record (``ProceduralAct.in_force``), and its effects then apply (cases/services/effects.py). A decision is recorded once: a refused sanction is final for
that act, and a new petition is a new act.
"""

from __future__ import annotations

from datetime import date

import filetype
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record
from ecase.history import save_attributed

from .. import access
from ..choices import ActStatus
from ..models import ActSanction, ProceduralAct
from ..pdf.storage import pdf_store
from .effects import act_effects_apply

# A court's decision arrives as a scan: a PDF or a photograph of the paper.
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}
SCAN_MAX_BYTES = 20 * 1024 * 1024


def _scan_checked(data: bytes) -> None:
    if not data:
        raise ValidationError({"scan": _("Attach the scan of the court's decision.")})
    if len(data) > SCAN_MAX_BYTES:
        raise ValidationError({"scan": _("The scan is larger than 20 MB.")})
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in SCAN_TYPES:
        raise ValidationError({"scan": _("The scan must be a PDF or a JPEG or PNG image of the court's decision.")})


@transaction.atomic
def act_sanction_record(
    *,
    act_id: int,
    actor: User,
    judge: str,
    court: str,
    decided_on: date,
    granted: bool,
    note: str,
    scan: bytes,
    scan_name: str,
) -> ActSanction:
    act = access.locked(ProceduralAct, act_id, actor=actor, action=access.CHANGE)
    requirement = act.requirements()
    if requirement is None or not requirement.needs_sanction:
        raise ValidationError(_("This act does not need a judge's sanction."))
    if act.status != ActStatus.SIGNED:
        raise ValidationError(_("The judge decides on the signed act: complete its signatures first."))
    if ActSanction.objects.filter(act=act).exists():
        raise ValidationError(_("The judge's decision on this act is already recorded."))
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": _("The decision cannot be dated in the future.")})
    _scan_checked(scan)
    sanction = ActSanction(
        case_id=act.case_id,
        act=act,
        judge=judge.strip(),
        court=court.strip(),
        decided_on=decided_on,
        granted=granted,
        note=(note or "").strip(),
        scan_sha256=pdf_store(scan),
        scan_name=scan_name[:200],
        recorded_by=actor,
    )
    save_attributed(sanction, actor=actor, reason=_("The judge's decision recorded"))
    audit_record(
        actor=actor,
        event=EventType.CASE_CHANGED,
        case_id=act.case_id,
        target=sanction,
        data={"act": act.number, "granted": granted, "court": sanction.court, "scan": sanction.scan_sha256},
    )
    if granted:
        # The granted sanction is what brings the act into force: its effects apply now (issue #18).
        act.sanction = sanction
        act_effects_apply(act)
    return sanction
