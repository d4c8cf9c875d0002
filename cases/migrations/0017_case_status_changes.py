"""The log of case status changes (issue #18 item 6), filled for existing cases from their history.

Each case's history rows are read in order; the first is its registration (dated by the case's
registration), and every row whose status differs from the previous one is a change, named by the
one action of CASE_TRANSITIONS that joins the two statuses, dated by the history row's local date
(an interruption entered late keeps the day it was entered, not the day it names). Unit, gravity
and actor are the history row's. Streamed in batches: at 1,000,000 cases a few million rows.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from ecase.db_triggers import append_only, install_triggers

# (from, to) → action: the pairs of cases/transitions.py CASE_TRANSITIONS, each joined by one action.
PAIRS = {
    ("registered", "investigating"): "start",
    ("investigating", "interrupted"): "interrupt",
    ("interrupted", "investigating"): "resume",
    ("investigating", "sent_to_prosecutor"): "send_to_prosecutor",
    ("investigating", "terminated"): "terminate",
    ("interrupted", "terminated"): "terminate",
    ("sent_to_prosecutor", "investigating"): "return",
    ("terminated", "investigating"): "reopen",
}
BATCH = 5000


def backfill(apps, schema_editor):
    history = apps.get_model("cases", "HistoricalCase")
    change = apps.get_model("cases", "CaseStatusChange")
    db = schema_editor.connection.alias
    rows = (
        history.objects.using(db)
        .order_by("id", "history_date", "history_id")
        .values_list(
            "id", "status", "unit_id", "gravity", "history_date", "history_user_id", "created_by_id", "registered_at"
        )
        .iterator(chunk_size=BATCH)
    )
    batch, last_case, last_status = [], None, None
    for case_id, status, unit_id, gravity, when, user_id, created_by, registered_at in rows:
        if case_id != last_case:
            # Registered on the day the case says (a case may be entered days after it was registered).
            action, before, when = "register", "", registered_at
        elif status != last_status:
            action, before = PAIRS.get((last_status, status), ""), last_status
        else:
            action = None
        if action:
            batch.append(
                change(
                    case_id=case_id,
                    unit_id=unit_id,
                    action=action,
                    from_status=before,
                    to_status=status,
                    gravity=gravity,
                    on_date=timezone.localdate(when),
                    actor_id=user_id or created_by,
                    at=when,
                )
            )
        last_case, last_status = case_id, status
        if len(batch) >= BATCH:
            change.objects.using(db).bulk_create(batch)
            batch = []
    change.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_user_position_kk"),
        ("cases", "0016_article_points"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseStatusChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("register", "Registered"),
                            ("start", "Accept for investigation"),
                            ("interrupt", "Interrupt the term"),
                            ("resume", "Resume"),
                            ("send_to_prosecutor", "Send to prosecutor"),
                            ("terminate", "Terminate"),
                            ("return", "Return for additional investigation"),
                            ("reopen", "Cancel termination"),
                        ],
                        max_length=32,
                    ),
                ),
                ("from_status", models.CharField(blank=True, max_length=32)),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("registered", "Registered"),
                            ("investigating", "Under investigation"),
                            ("interrupted", "Interrupted"),
                            ("sent_to_prosecutor", "Completed: sent to prosecutor"),
                            ("terminated", "Completed: terminated"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "gravity",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Criminal misdemeanour"),
                            (2, "Crime of small gravity"),
                            (3, "Crime of medium gravity"),
                            (4, "Grave crime"),
                            (5, "Especially grave crime"),
                        ]
                    ),
                ),
                ("on_date", models.DateField(help_text="The day the decision took effect.")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "decision_act",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="status_changes",
                        to="cases.proceduralact",
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="status_changes", to="cases.case"
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.unit"
                    ),
                ),
            ],
            options={
                "ordering": ["on_date", "id"],
                "indexes": [models.Index(fields=["on_date", "action"], name="case_status_change_day")],
                "constraints": [
                    models.CheckConstraint(
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
                                ],
                            )
                        ),
                        name="case_status_change_action_valid",
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        install_triggers(append_only("cases_casestatuschange", "a case's status change is recorded once")),
    ]
