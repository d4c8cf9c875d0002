"""Evidence pages: entering items, uploading and downloading files, hand-overs, withdrawal."""

from __future__ import annotations

import errno
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.choices import EventType, Outcome
from audit.read_log import log_read
from audit.services import audit_record
from cases import access
from cases.access.views import CaseScopedView
from cases.forms import ReasonForm
from cases.models import Case
from cases.views.common import apply_errors, done
from ecase import blobs

from .forms import EvidenceForm, TransferForm, UploadForm
from .models import EvidenceFile, EvidenceItem
from .services import evidence_add, evidence_file_add, evidence_file_withdraw, evidence_transfer, evidence_withdraw

# Room for the multipart envelope around the file itself.
MULTIPART_OVERHEAD = 64 * 1024

logger = logging.getLogger(__name__)
# The storage volume is full, read-only or failing (issue #20): the user gets a message, not a 500.
# 507 Insufficient Storage rather than 503: the server cannot store this representation now; the
# same answer for EIO, since to the uploader all four mean "not saved, try later or tell the admin".
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO})
STORAGE_UNAVAILABLE_STATUS = 507


def storage_unavailable(request, error: OSError, *, item: EvidenceItem) -> str:
    """Log and audit a failed store for the operator; the message for the user.

    Called after the upload's transaction rolled back (nothing of the file is recorded), so the
    alert is written in its own transaction and stays. It names the item, not the file's content.
    """
    assert error.errno is not None  # called for the STORAGE_ERRNOS only
    code = errno.errorcode.get(error.errno, str(error.errno))
    logger.error(
        "storage unavailable: the upload to evidence item %s was not stored (%s: %s)", item.pk, code, error.strerror
    )
    with transaction.atomic():
        audit_record(
            actor=request.user,
            event=EventType.STORAGE_UNAVAILABLE,
            outcome=Outcome.FAILED,
            data={"errno": code, "item": item.pk, "path": request.path},
        )
    return _(
        "The file could not be stored: the server's storage is full or unavailable. Nothing was saved; "
        "try again later or tell your administrator."
    )


class EvidenceAddView(CaseScopedView):
    queryset = Case.objects.all()
    permission_action = access.CHANGE

    def get(self, request, pk):
        case = self.get_object()
        log_read(request, case, page="evidence-add")
        return render(request, "cases/form.html", {"case": case, "form": EvidenceForm(), "title": _("Enter evidence")})

    def post(self, request, pk):
        case = self.get_object()
        form = EvidenceForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                item = evidence_add(case_id=case.pk, actor=request.user, number=data.pop("number"), **data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("Evidence item №%(n)s entered.") % {"n": item.number})
                return redirect("evidence:detail", pk=item.pk)
        return render(
            request, "cases/form.html", {"case": case, "form": form, "title": _("Enter evidence")}, status=400
        )


class EvidenceDetailView(CaseScopedView):
    queryset = EvidenceItem.objects.select_related("case", "seized_from__person")
    permission_action = access.VIEW

    def get(self, request, pk):
        return item_page(request, self.get_object())


def item_page(request, item, *, upload_form=None, status=200):
    """The item's page; a refused upload comes back here with its form's errors (issue #16)."""
    audit_record(actor=request.user, event=EventType.EVIDENCE_OPENED, case_id=item.case_id, target=item)
    return render(
        request,
        "evidence/detail.html",
        {
            "item": item,
            "case": item.case,
            "files": item.files.select_related("uploaded_by").order_by("uploaded_at"),
            "custody": item.custody_events.select_related("recorded_by").order_by("occurred_at", "id"),
            "can_edit": Case.objects.restrict(request.user, access.CHANGE).filter(pk=item.case_id).exists(),
            "upload_form": upload_form or UploadForm(),
            "transfer_form": TransferForm(),
        },
        status=status,
    )


class EvidenceWithdrawView(CaseScopedView):
    queryset = EvidenceItem.objects.all()
    permission_action = access.CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.get_object()
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                evidence_withdraw(item_id=item.pk, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The item was withdrawn."))
                return redirect("evidence:detail", pk=item.pk)
        return render(request, "cases/form.html", {"case": item.case, "form": form, "title": _("Withdraw")}, status=400)


class EvidenceUploadView(CaseScopedView):
    queryset = EvidenceItem.objects.select_related("case")
    permission_action = access.CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.get_object()
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.ECASE_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
            return HttpResponse(_("The file is larger than the limit."), status=413)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                evidence_file_add(item_id=item.pk, actor=request.user, stream=upload, name=upload.name)
            except ValidationError as error:
                apply_errors(form, error)
            except OSError as error:
                if error.errno not in STORAGE_ERRNOS:
                    raise
                form.add_error(None, storage_unavailable(request, error, item=item))
                return render(
                    request,
                    "cases/form.html",
                    {"case": item.case, "form": form, "title": _("Upload a file")},
                    status=STORAGE_UNAVAILABLE_STATUS,
                )
            else:
                done(request, _("The file was attached."))
                return redirect("evidence:detail", pk=item.pk)
        return item_page(request, item, upload_form=form, status=400)


class EvidenceTransferView(CaseScopedView):
    queryset = EvidenceItem.objects.select_related("case")
    permission_action = access.CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        item = self.get_object()
        form = TransferForm(request.POST)
        if form.is_valid():
            try:
                evidence_transfer(item_id=item.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The hand-over was recorded."))
                return redirect("evidence:detail", pk=item.pk)
        return render(
            request, "cases/form.html", {"case": item.case, "form": form, "title": _("Hand over")}, status=400
        )


class FileDownloadView(CaseScopedView):
    """The only way to the bytes: permission-checked, logged, always as an attachment."""

    queryset = EvidenceFile.objects.select_related("item")
    permission_action = access.VIEW

    def get(self, request, pk):
        record = self.get_object()
        audit_record(
            actor=request.user,
            event=EventType.FILE_DOWNLOADED,
            case_id=record.item.case_id,
            target=record,
            data={"sha256": record.sha256},
        )
        response = FileResponse(
            blobs.open(record.sha256),
            as_attachment=True,
            filename=record.original_name,
            content_type=record.content_type,
        )
        response["Content-Length"] = record.size  # the decrypting stream cannot seek to measure itself
        response["Cache-Control"] = "private, no-store"
        return response


class FileWithdrawView(CaseScopedView):
    queryset = EvidenceFile.objects.select_related("item__case")
    permission_action = access.CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        record = self.get_object()
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                evidence_file_withdraw(file_id=record.pk, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done(request, _("The file was withdrawn."))
                return redirect("evidence:detail", pk=record.item_id)
        return render(
            request, "cases/form.html", {"case": record.item.case, "form": form, "title": _("Withdraw")}, status=400
        )
