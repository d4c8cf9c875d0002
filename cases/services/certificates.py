"""Issuing signing certificates from the built-in certificate authority (issue #5)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from audit.choices import EventType
from audit.services import audit_record

from ..models import ActRendering, SigningCertificate
from ..signing.authority import builtin_authority, issue_user_certificate
from ..system_actor import is_system_actor
from .act_rendering import act_renderings_requeue


@transaction.atomic
def certificate_issue(
    *, user: User, actor: User | None, actor_label: str = "", days: int | None = None
) -> tuple[SigningCertificate, list[int]]:
    """Issue ``user`` a signing certificate (the CA is created on first use).

    Signatures of this user (and, queued before issue #17, of acts they approved) that failed are queued again: a missing or unusable
    certificate is what fails them. Returns the certificate and the re-queued renderings.
    """
    if not user.is_active or is_system_actor(user):
        raise ValidationError(_("Certificates are issued to active people only."))
    authority, created = builtin_authority()
    issued = issue_user_certificate(authority, user=user, days=days or settings.ECASE_SIGNING_CERTIFICATE_DAYS)
    certificate = SigningCertificate(
        user=user,
        authority=authority,
        serial=issued.serial,
        subject=issued.subject,
        sha256=issued.sha256,
        not_before=issued.not_before,
        not_after=issued.not_after,
        certificate_pem=issued.certificate_pem,
        pkcs12=issued.pkcs12,
        issued_by=actor,
    )
    certificate.full_clean()
    certificate.save()
    requeued = act_renderings_requeue(
        renderings=ActRendering.objects.filter(Q(signer=user) | Q(signer__isnull=True, act__approved_by=user)),
        actor=actor,
        actor_label=actor_label,
        cause=f"certificate {issued.serial} issued",
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event=EventType.CERTIFICATE_ISSUED,
        target=certificate,
        data={
            "user": user.username,
            "serial": issued.serial,
            "sha256": issued.sha256,
            "not_after": issued.not_after.isoformat(),
            "authority_created": created,
            "requeued_renderings": requeued,
        },
    )
    return certificate, requeued
