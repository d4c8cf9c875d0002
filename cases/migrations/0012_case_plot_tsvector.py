"""The plot's full-text vector stored in the case row (issue #15), PostgreSQL only.

Until now the plot search matched ``to_tsvector('russian', COALESCE(plot, ''))`` through the
expression index ``case_plot_fts``. The index answers "which cases hold these words" well, but a
search that must also test the words on the row itself (the case list walking a supervisor's
cases newest first, cases/selectors.py) recomputed the vector for every row it passed: ~50 µs
each, so a page that walks a few thousand cases cost hundreds of milliseconds. ``plot_tsv`` is a
generated column (PostgreSQL computes it on every INSERT and UPDATE, nothing in the application
writes it), so testing a row costs a comparison, and its GIN index ``case_plot_tsv`` replaces
``case_plot_fts``.

Not a model field: Django would write the column on INSERT, which PostgreSQL refuses for a
generated column, and SQLite has no tsvector (it reads the plots, docs/ARCHITECTURE.md). The
history table does not copy it: it is derived from the plot, which is there.

Adding the column rewrites ``cases_case`` (about 2 minutes for 1,000,000 cases on a 2-core machine).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE cases_case ADD COLUMN plot_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, COALESCE(plot, ''))) STORED",
    "CREATE INDEX case_plot_tsv ON cases_case USING gin (plot_tsv)",
    "DROP INDEX IF EXISTS case_plot_fts",
]
BACKWARD = [
    "CREATE INDEX case_plot_fts ON cases_case USING gin (to_tsvector('russian'::regconfig, COALESCE(plot, '')))",
    "ALTER TABLE cases_case DROP COLUMN plot_tsv",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_persons_belong_to_cases"),
    ]

    operations = [migrations.RunPython(forward, backward)]
