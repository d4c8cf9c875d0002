"""Demo and benchmark data: a small world built through the services, and bulk cases.

``world``  — the default demo (units, eight users, a dozen cases) written service by service,
             so every history row and audit row is the real one.
``bulk``   — N more cases with persons, participants, acts, evidence and grants, inserted in
             batches with ``CaseDataQuerySet.bulk_create`` (history rows included).
``people``, ``texts``, ``files`` — the names, IINs, plots, act fields and small files both use.

Used by ``manage.py seed_demo`` and by ``bench/run.py``; never imported by the application.
"""
