"""Each case's region and district unit ids (issue #15, lists near the floor for supervisors).

``Case.region_unit`` and ``Case.district_unit`` are the first two units of the case unit's path
(``Unit.scope_ids``). Existing cases are filled by one UPDATE per unit (a few dozen units, each
UPDATE by the index case_unit_status), in plain SQL that PostgreSQL and SQLite both run; the two
ordered indexes are built afterwards, so the backfill does not maintain them row by row.
"""

import django.db.models.deletion
from django.db import migrations, models

from ecase.db_triggers import append_only, ensure_triggers, no_delete


def ancestor_paths(path):
    parts = path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def restore_triggers(apps, schema_editor):
    """SQLite rebuilds a table to change its columns or constraints, and the rebuild drops its triggers:
    0018 (the status and action constraints) and this migration rebuild ``cases_case`` and
    ``cases_casestatuschange``, so their guards are put back (a no-op on PostgreSQL, which alters in place)."""
    ensure_triggers(
        schema_editor.connection,
        [
            no_delete("cases_case"),
            append_only("cases_casestatuschange", "a case's status change is recorded once"),
        ],
    )


def fill_scope_units(apps, schema_editor):
    Unit = apps.get_model("accounts", "Unit")
    ids = dict(Unit.objects.using(schema_editor.connection.alias).values_list("path", "pk"))
    with schema_editor.connection.cursor() as cursor:
        for path, unit_id in ids.items():
            first_two = ancestor_paths(path)[:2]
            region = ids[first_two[0]]
            district = ids[first_two[1]] if len(first_two) == 2 else None
            cursor.execute(
                "UPDATE cases_case SET region_unit_id = %s, district_unit_id = %s WHERE unit_id = %s",
                [region, district, unit_id],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_superior_prosecutor"),
        ("cases", "0020_statutory_clocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="region_unit",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.unit",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="district_unit",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.unit",
            ),
        ),
        migrations.RunPython(fill_scope_units, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["region_unit", "-registered_at", "-id"], name="case_region_order"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["district_unit", "-registered_at", "-id"], name="case_district_order"),
        ),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
    ]
