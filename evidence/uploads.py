"""Resumable uploads of evidence files: the tus protocol 1.0.0 (core, creation, termination, expiration).

    POST   /evidence/<item>/uploads/   Upload-Length, Upload-Metadata "filename <base64>" → 201, Location
    HEAD   /evidence/uploads/<id>/     → Upload-Offset: where to go on (after a cut, from any node)
    PATCH  /evidence/uploads/<id>/     Upload-Offset, application/offset+octet-stream → 204, new offset
    DELETE /evidence/uploads/<id>/     → 204: cancelled, the staged bytes removed

Why our own small server and not a library: drf-tus (the maintained one) spools each chunk on
the local disk of the node that took it, and django-tus is unmaintained since 2020; here every
piece goes straight, encrypted, into the shared blob backend (ecase.blobs ``stage_*``), and the
upload's state is a database row, so any web node takes the next PATCH.

The one access path, as for every page: each request looks its upload up through
``restrict(user, change)`` of the item's case (CaseScopedView: 404 outside the scope, 403 in it
without the right, the second factor for a grave case), and an upload answers only the user who
started it. The file row is written by ``evidence.services.resumable_attach``, which locks the
case and checks scope and second factor again; type (from the content, at the first part), size
(at creation, and no PATCH beyond the declared length), hash (carried along, completed with the
last byte) and the audit event are those of the plain upload form.
"""

from __future__ import annotations

import base64
import binascii
import errno
import logging
import time
import uuid
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, urlencode
from django.utils.translation import gettext as _

from accounts.models import User
from cases import access
from cases.access.views import CaseScopedView
from ecase import blobs
from ecase.errors import OutOfScope

from .choices import UploadStatus
from .files import SNIFF_BYTES, detect_type
from .models import EvidenceItem, ResumableUpload
from .services import resumable_attach, resumable_start

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# One PATCH writes at a time. The lease is renewed while bytes arrive, so it runs out only when a
# node stopped in the middle (a cut connection releases it at once).
LEASE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 10
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO})

logger = logging.getLogger(__name__)


def tus_response(status: int, message: str = "", *, upload: ResumableUpload | None = None, **headers) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    if upload is not None:
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        if upload.status == UploadStatus.OPEN:
            response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unsupported_version(request) -> HttpResponse | None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return tus_response(412, _("This server speaks tus 1.0.0."), Tus_Version=TUS_VERSION)
    return None


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated "key base64(value)" pairs; a value that is not UTF-8 is refused."""
    found = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _sep, encoded = pair.partition(" ")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise ValidationError(_("The upload's metadata cannot be read.")) from error
    return found


class TusView(CaseScopedView):
    def options(self, request, *args, **kwargs):
        """Discovery: the version, the extensions and the largest upload."""
        return tus_response(
            204,
            Tus_Version=TUS_VERSION,
            Tus_Extension=TUS_EXTENSIONS,
            Tus_Max_Size=str(settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES),
        )

    def confirm_second_factor(self, case_id: int | None) -> HttpResponse:
        # A tus client (the page's script) would follow a redirect to the code page silently and read it
        # as a success: it gets 403, with the code page's address for its link. Without the tus header
        # (a browser that opened the address) it is sent there as from every page.
        if "Tus-Resumable" not in self.request.headers:
            return super().confirm_second_factor(case_id)
        back = reverse("cases:detail", args=[case_id]) if case_id is not None else "/"
        target = f"{reverse('accounts:otp-verify')}?{urlencode({'next': back})}"
        return tus_response(
            403,
            _(
                "A case of a grave or especially grave crime: enter the code from your "
                "authenticator app again to open it."
            ),
            Ecase_Second_Factor=target,
        )


class ResumableCreateView(TusView):
    """POST: a new upload to the item (those who may change its case)."""

    queryset = EvidenceItem.objects.select_related("case")
    permission_action = access.CHANGE
    http_method_names = ["post", "options"]

    def post(self, request, pk):
        item = self.get_object()
        refused = _unsupported_version(request)
        if refused:
            return refused
        length = request.headers.get("Upload-Length", "")
        if not length.isdigit():
            return tus_response(400, _("Upload-Length is required (the file's size in bytes)."))
        try:
            name = parse_metadata(request.headers.get("Upload-Metadata", "")).get("filename", "")
            if not name:
                raise ValidationError(_("The upload names no file (Upload-Metadata filename)."))
            upload = resumable_start(item_id=item.pk, actor=request.user, name=name, length=int(length))
        except ValidationError as error:
            status = 413 if getattr(error, "code", None) == "file_too_large" else 400
            return tus_response(status, " ".join(error.messages))
        return tus_response(201, upload=upload, Location=reverse("evidence:resumable", args=[upload.pk]))


class ResumableUploadView(TusView):
    """HEAD (GET), PATCH, DELETE on one upload: only its own user, only while its case may be changed."""

    queryset = ResumableUpload.objects.select_related("item__case")
    permission_action = access.CHANGE
    http_method_names = ["get", "head", "patch", "delete", "options"]

    def get_object(self, action: str | None = None) -> ResumableUpload:
        upload = super().get_object(action)
        if upload.created_by_id != self.request.user.pk:
            raise OutOfScope("not this user's upload", case_id=upload.item.case_id)
        return upload

    def get(self, request, pk):
        """The offset to resume from (HEAD; GET answers the same, without a body)."""
        upload = self.get_object()
        if upload.status == UploadStatus.OPEN and upload.sealed == upload.length:
            # Every byte is in, but the node stopped before the file row was written: finish it now.
            return self._finish(upload)
        if upload.status == UploadStatus.OPEN and upload.expires_at <= timezone.now():
            return self._expire(upload)
        return self._state(upload)

    def _state(self, upload: ResumableUpload, status: int = 200) -> HttpResponse:
        if upload.status in (UploadStatus.OPEN, UploadStatus.FINISHED):
            headers = {}
            if upload.file_id:
                headers["Ecase-File"] = reverse("evidence:download", args=[upload.file_id])
            return tus_response(status, upload=upload, **headers)
        return tus_response(410, upload.refusal or _("This upload was cancelled or has expired."), upload=upload)

    def patch(self, request, pk):
        upload = self.get_object()
        refused = _unsupported_version(request)
        if refused:
            return refused
        if request.content_type != OFFSET_CONTENT_TYPE:
            return tus_response(415, _("A PATCH carries application/offset+octet-stream."))
        offset = request.headers.get("Upload-Offset", "")
        if not offset.isdigit():
            return tus_response(400, _("Upload-Offset is required."))
        if upload.status != UploadStatus.OPEN:
            return self._state(upload, 409 if upload.status == UploadStatus.FINISHED else 410)
        if upload.expires_at <= timezone.now():
            return self._expire(upload)
        if int(offset) != upload.offset:
            return tus_response(409, _("The upload is at another offset: ask for it (HEAD)."), upload=upload)
        declared = request.META.get("CONTENT_LENGTH") or ""
        count = int(declared) if declared.isdigit() else upload.length - upload.offset
        if upload.offset + count > upload.length:
            return tus_response(400, _("The bytes go beyond the upload's length."), upload=upload)
        lease = _acquire(upload)
        if lease is None:
            return tus_response(423, _("Another request is writing this upload; try again shortly."), upload=upload)
        stage = _stage_of(upload)
        try:
            blobs.stage_append(
                stage,
                request,
                count=count,
                commit=_committer(upload, lease),
                inspect=lambda head: _check_type(upload, head),
                heartbeat=_heartbeat(upload, lease),
            )
        except ValidationError as error:
            return self._refuse(
                upload, " ".join(error.messages), 415 if getattr(error, "code", None) == "file_type" else 400
            )
        except blobs.StageConflict:
            upload.refresh_from_db()
            return tus_response(409, _("The upload is at another offset: ask for it (HEAD)."), upload=upload)
        except OSError as error:
            if error.errno not in STORAGE_ERRNOS:
                raise
            logger.error("storage unavailable: upload %s not continued (%s)", upload.pk, error)
            return tus_response(507, _("The server's storage is full or unavailable; try again later."))
        finally:
            ResumableUpload.objects.filter(pk=upload.pk, lease=lease).update(lease=None, lease_until=None)
        upload.refresh_from_db()
        if upload.sealed == upload.length:
            return self._finish(upload, 204)
        return self._state(upload, 204)

    def delete(self, request, pk):
        """Termination: the upload is cancelled and its staged bytes removed (the row stays)."""
        upload = self.get_object()
        refused = _unsupported_version(request)
        if refused:
            return refused
        if not ResumableUpload.objects.filter(pk=upload.pk, status=UploadStatus.OPEN).update(
            status=UploadStatus.TERMINATED, updated_at=timezone.now()
        ):
            return self._state(upload, 409)
        _discard(upload)
        return tus_response(204)

    def _finish(self, upload: ResumableUpload, status: int = 200) -> HttpResponse:
        try:
            blob = blobs.stage_finish(_stage_of(upload))
            # Signed in: LoginRequiredMixin let the request through.
            resumable_attach(upload_id=upload.pk, actor=cast(User, self.request.user), blob=blob)
        except ValidationError as error:
            return self._refuse(upload, " ".join(error.messages), 409)
        _discard(upload)
        upload.refresh_from_db()
        return self._state(upload, status)

    def _refuse(self, upload: ResumableUpload, message: str, status: int) -> HttpResponse:
        ResumableUpload.objects.filter(pk=upload.pk, status=UploadStatus.OPEN).update(
            status=UploadStatus.REFUSED, refusal=message, updated_at=timezone.now()
        )
        _discard(upload)
        upload.refresh_from_db()
        return tus_response(status, message, upload=upload)

    def _expire(self, upload: ResumableUpload) -> HttpResponse:
        expire(upload)
        upload.refresh_from_db()
        return self._state(upload)


def expire(upload: ResumableUpload) -> None:
    """An open upload past its time: marked expired, its staged bytes removed."""
    if ResumableUpload.objects.filter(pk=upload.pk, status=UploadStatus.OPEN).update(
        status=UploadStatus.EXPIRED, updated_at=timezone.now()
    ):
        _discard(upload)


def expire_stale_uploads(*, dry_run: bool = False) -> int:
    """Every open upload past ``expires_at`` expired, and stages left by ended uploads removed.

    ``manage.py expire_uploads`` and the daily beat task ``evidence.expire_uploads`` both run this.
    Returns how many uploads were (or, with ``dry_run``, would be) expired.
    """
    stale = ResumableUpload.objects.filter(status=UploadStatus.OPEN, expires_at__lte=timezone.now())
    count = stale.count()
    if dry_run:
        return count
    for upload in stale.iterator():
        expire(upload)
    # Stages whose upload ended but whose parts stayed (the node stopped before removing them).
    ended = {u.hex for u in ResumableUpload.objects.exclude(status=UploadStatus.OPEN).values_list("pk", flat=True)}
    for token in _staged_tokens():
        if token in ended:
            blobs.stage_discard(token)
    return count


def _staged_tokens() -> set[str]:
    names = blobs._iter_names(blobs.storage(), blobs.STAGE_PREFIX)
    return {name.split("/")[1] for name, _modified in names if name.count("/") >= 2}


def _discard(upload: ResumableUpload) -> None:
    try:
        blobs.stage_discard(upload.pk.hex)
    except Exception:  # left for manage.py expire_uploads: the answer to the user does not depend on it
        logger.exception("staged parts of upload %s not removed", upload.pk)


def _stage_of(upload: ResumableUpload) -> blobs.Stage:
    return blobs.Stage(
        token=upload.pk.hex,
        length=upload.length,
        key_envelope=bytes(upload.key_envelope),
        nonce_prefix=bytes(upload.nonce_prefix),
        segment=upload.segment_size,
        sealed=upload.sealed,
        tail=upload.tail,
        hash_state=bytes(upload.hash_state),
        parts=list(upload.parts),
    )


def _acquire(upload: ResumableUpload) -> uuid.UUID | None:
    lease, now = uuid.uuid4(), timezone.now()
    taken = (
        ResumableUpload.objects.filter(pk=upload.pk, status=UploadStatus.OPEN)
        .filter(Q(lease__isnull=True) | Q(lease_until__lt=now))
        .update(lease=lease, lease_until=now + LEASE)
    )
    return lease if taken else None


def _committer(upload: ResumableUpload, lease: uuid.UUID):
    def commit(stage: blobs.Stage) -> None:
        # Only while this request holds the lease and the upload is open: a cancelled upload, or one
        # taken over after this node stalled, stops here.
        saved = ResumableUpload.objects.filter(pk=upload.pk, lease=lease, status=UploadStatus.OPEN).update(
            sealed=stage.sealed,
            tail=stage.tail,
            hash_state=stage.hash_state,
            parts=stage.parts,
            lease_until=timezone.now() + LEASE,
            updated_at=timezone.now(),
        )
        if not saved:
            raise blobs.StageConflict(f"upload {upload.pk}: no longer this request's to write")

    return commit


def _heartbeat(upload: ResumableUpload, lease: uuid.UUID):
    last = [time.monotonic()]

    def beat() -> None:
        if time.monotonic() - last[0] >= HEARTBEAT_SECONDS:
            last[0] = time.monotonic()
            ResumableUpload.objects.filter(pk=upload.pk, lease=lease).update(lease_until=timezone.now() + LEASE)

    return beat


def _check_type(upload: ResumableUpload, head: bytes) -> None:
    """The content's type, from its first bytes, before any of them is stored (as the plain form does)."""
    content_type = detect_type(head[:SNIFF_BYTES], upload.name)
    ResumableUpload.objects.filter(pk=upload.pk).update(content_type=content_type)
    upload.content_type = content_type
