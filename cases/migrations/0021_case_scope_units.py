"""Each case's region and district unit ids (issue #15, lists near the floor for supervisors).

``Case.region_unit`` and ``Case.district_unit`` are the first two units of the case unit's path
(``Unit.scope_ids``). Existing cases are filled by one UPDATE per unit (a few dozen units, each
UPDATE by the index case_unit_status), in plain SQL that PostgreSQL and SQLite both run; the two
ordered indexes are built afterwards, so the backfill does not maintain them row by row.
"""

import django.db.models.deletion
from django.db import migrations, models


def ancestor_paths(path):
    parts = path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


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
    ]
