"""Signing keys issued by the built-in certificate authority (issue #5, DESIGN §5).

The authority's key and every user's PKCS#12 bundle are stored encrypted with
ECASE_SIGNING_PASSPHRASE, which lives outside the database: a copy of the database alone
signs nothing. A national CA (NCA RK) replaces this authority by configuring its root as the
trust root and by a signer that uses the user's own key (cases/signing/base.py).

These models would sit in ``accounts`` by DESIGN §2; they live here while the signing
feature is the cases app's alone, and move without change of shape.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .acts import sha256_hex


class SigningAuthority(models.Model):
    """The built-in CA: its self-signed root certificate and its encrypted key."""

    name = models.CharField(max_length=64, unique=True)
    certificate_pem = models.TextField()
    private_key_pem = models.TextField(help_text="PKCS#8, encrypted with ECASE_SIGNING_PASSPHRASE.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class SigningCertificateQuerySet(models.QuerySet):
    def usable(self, at=None) -> SigningCertificateQuerySet:
        """Certificates valid at ``at`` (now) and not revoked, newest first."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, not_before__lte=at, not_after__gt=at).order_by("-not_before", "-id")


class SigningCertificate(models.Model):
    """A user's signing certificate with its key, as a PKCS#12 bundle encrypted at rest."""

    objects = SigningCertificateQuerySet.as_manager()

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signing_certificates")
    authority = models.ForeignKey(SigningAuthority, on_delete=models.PROTECT, related_name="certificates")
    serial = models.CharField(max_length=64, unique=True, help_text="Hexadecimal serial number.")
    subject = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, unique=True, validators=[sha256_hex])
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    certificate_pem = models.TextField()
    pkcs12 = models.BinaryField(help_text="Key, certificate and chain; encrypted with ECASE_SIGNING_PASSPHRASE.")
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-not_before"]
        constraints = [
            models.CheckConstraint(
                name="signing_certificate_validity_ordered", condition=models.Q(not_after__gt=models.F("not_before"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.serial})"
