"""Signed acts (issue #5): transitions, renderings, the built-in CA and its certificates, with their triggers."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from ecase.db_triggers import RowTrigger, install_triggers, no_delete


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_sessions_and_audit_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SigningAuthority",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
                ("certificate_pem", models.TextField()),
                ("private_key_pem", models.TextField(help_text="PKCS#8, encrypted with ECASE_SIGNING_PASSPHRASE.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="ActRendering",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("act_version", models.PositiveIntegerField()),
                ("snapshot", models.JSONField(help_text="Everything the layout prints, frozen at approval.")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Queued for rendering"),
                            ("rendering", "Rendering and signing"),
                            ("signed", "Signed"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("queued_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "published_at",
                    models.DateTimeField(
                        blank=True, help_text="Last time a render message reached the broker.", null=True
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "pdf_sha256",
                    models.CharField(
                        blank=True,
                        max_length=64,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-9a-f]{64}$", "A SHA-256 digest is 64 lowercase hex digits."
                            )
                        ],
                    ),
                ),
                ("pdf_size", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "signer_certificate_sha256",
                    models.CharField(
                        blank=True,
                        max_length=64,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-9a-f]{64}$", "A SHA-256 digest is 64 lowercase hex digits."
                            )
                        ],
                    ),
                ),
                (
                    "act",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="renderings", to="cases.proceduralact"
                    ),
                ),
            ],
            options={
                "ordering": ["act", "act_version"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("state__in", ["queued", "rendering"])),
                        fields=["state", "published_at"],
                        name="act_rendering_pending",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("act", "act_version"), name="act_rendering_one_per_version"),
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["queued", "rendering", "signed", "failed"])),
                        name="act_rendering_state_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state", "signed"), _negated=True),
                            models.Q(
                                ("finished_at__isnull", False),
                                ("pdf_size__isnull", False),
                                models.Q(("pdf_sha256", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="act_rendering_signed_is_complete",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state", "failed"), _negated=True),
                            models.Q(("last_error", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="act_rendering_failed_has_reason",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ActTransition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("act_version", models.PositiveIntegerField()),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("submit", "Submit for approval"),
                            ("approve", "Approve"),
                            ("return", "Return for rework"),
                            ("revise", "Revise"),
                            ("sign", "Sign"),
                            ("supersede", "Supersede with a correction"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "from_status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("approved", "Approved"),
                            ("returned", "Returned for rework"),
                            ("signed", "Signed"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("approved", "Approved"),
                            ("returned", "Returned for rework"),
                            ("signed", "Signed"),
                        ],
                        max_length=16,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "act",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transitions",
                        to="cases.proceduralact",
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["at", "id"],
                "indexes": [models.Index(fields=["act", "at"], name="act_transition_act_at")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("action__in", ["submit", "approve", "return", "revise", "sign", "supersede"])
                        ),
                        name="act_transition_action_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("from_status__in", ["draft", "submitted", "approved", "returned", "signed"]),
                            ("to_status__in", ["draft", "submitted", "approved", "returned", "signed"]),
                        ),
                        name="act_transition_statuses_valid",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="SigningCertificate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("serial", models.CharField(help_text="Hexadecimal serial number.", max_length=64, unique=True)),
                ("subject", models.CharField(max_length=500)),
                (
                    "sha256",
                    models.CharField(
                        max_length=64,
                        unique=True,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-9a-f]{64}$", "A SHA-256 digest is 64 lowercase hex digits."
                            )
                        ],
                    ),
                ),
                ("not_before", models.DateTimeField()),
                ("not_after", models.DateTimeField()),
                ("certificate_pem", models.TextField()),
                (
                    "pkcs12",
                    models.BinaryField(
                        help_text="Key, certificate and chain; encrypted with ECASE_SIGNING_PASSPHRASE."
                    ),
                ),
                ("issued_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "authority",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="certificates",
                        to="cases.signingauthority",
                    ),
                ),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="signing_certificates",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["user", "-not_before"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("not_after__gt", models.F("not_before"))),
                        name="signing_certificate_validity_ordered",
                    )
                ],
            },
        ),
        install_triggers(
            # The lifecycle record is append-only: a step, once taken, is never rewritten.
            RowTrigger(
                "cases_act_transition_append_only",
                "cases_acttransition",
                "UPDATE",
                "an act transition is recorded once and never changes",
            ),
            no_delete("cases_acttransition"),
            # A signed PDF's record never changes, like the signed act itself.
            RowTrigger(
                "cases_signed_rendering_immutable",
                "cases_actrendering",
                "UPDATE",
                "a signed rendering cannot change",
                when="OLD.state = 'signed'",
            ),
            no_delete("cases_actrendering"),
            # Certificates are revoked, never deleted: old signatures must stay attributable.
            no_delete("cases_signingcertificate"),
            no_delete("cases_signingauthority"),
        ),
    ]
