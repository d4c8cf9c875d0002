"""Decrees drive state (issue #18 item 1): act types carry their effects, each act's applied effects
are recorded (append-only), and a case may be sent to court.

The effects of the shipped act types are loaded for existing rows (``reference_data.load``; it also
adds the two act types this item needs: ``prosecution_termination`` and ``completion_report``).
Acts already in force get no effect rows: what they did was done by hand before this migration.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from ecase.db_triggers import append_only, install_triggers


def load_reference_data(apps, schema_editor):
    from cases.reference_data import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_superior_prosecutor"),
        ("cases", "0017_case_status_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ActEffect",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField()),
                ("effect", models.JSONField()),
                ("applied", models.BooleanField()),
                ("outcome", models.TextField()),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["act", "position"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="case",
            name="case_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="casestatuschange",
            name="case_status_change_action_valid",
        ),
        migrations.AddField(
            model_name="historicalproceduralacttype",
            name="effects",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="proceduralacttype",
            name="effects",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="case",
            name="status",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("investigating", "Under investigation"),
                    ("interrupted", "Interrupted"),
                    ("sent_to_prosecutor", "Completed: sent to prosecutor"),
                    ("terminated", "Completed: terminated"),
                    ("sent_to_court", "Sent to court"),
                ],
                default="registered",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="casestatuschange",
            name="action",
            field=models.CharField(
                choices=[
                    ("register", "Registered"),
                    ("start", "Accept for investigation"),
                    ("interrupt", "Interrupt the term"),
                    ("resume", "Resume"),
                    ("send_to_prosecutor", "Send to prosecutor"),
                    ("terminate", "Terminate"),
                    ("return", "Return for additional investigation"),
                    ("reopen", "Cancel termination"),
                    ("send_to_court", "Send to court"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="casestatuschange",
            name="to_status",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("investigating", "Under investigation"),
                    ("interrupted", "Interrupted"),
                    ("sent_to_prosecutor", "Completed: sent to prosecutor"),
                    ("terminated", "Completed: terminated"),
                    ("sent_to_court", "Sent to court"),
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcase",
            name="status",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("investigating", "Under investigation"),
                    ("interrupted", "Interrupted"),
                    ("sent_to_prosecutor", "Completed: sent to prosecutor"),
                    ("terminated", "Completed: terminated"),
                    ("sent_to_court", "Sent to court"),
                ],
                default="registered",
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "registered",
                            "investigating",
                            "interrupted",
                            "sent_to_prosecutor",
                            "terminated",
                            "sent_to_court",
                        ],
                    )
                ),
                name="case_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="casestatuschange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "action__in",
                        [
                            "register",
                            "start",
                            "interrupt",
                            "resume",
                            "send_to_prosecutor",
                            "terminate",
                            "return",
                            "reopen",
                            "send_to_court",
                        ],
                    )
                ),
                name="case_status_change_action_valid",
            ),
        ),
        migrations.AddField(
            model_name="acteffect",
            name="act",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="applied_effects", to="cases.proceduralact"
            ),
        ),
        migrations.AddConstraint(
            model_name="acteffect",
            constraint=models.UniqueConstraint(fields=("act", "position"), name="act_effect_once"),
        ),
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
        install_triggers(append_only("cases_acteffect")),
    ]
