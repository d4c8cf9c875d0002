"""A history checkpoint waits for transactions still running, so a late commit never breaks a seal."""

import threading

import pytest
from django.db import connection, connections

from audit.history_seal import write_checkpoint
from audit.verify import verify

TABLE = "cases_historicalcase_group"  # a history table whose rows need no other row to exist


def _insert(cursor, marker):
    cursor.execute(
        f"INSERT INTO {TABLE} (id, case_id, user_id, history_id) VALUES (%s, %s, %s, %s) RETURNING m2m_history_id",
        [marker, marker, marker, marker],
    )
    return cursor.fetchone()[0]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # real commits; every app, so the history tables are known
def test_a_row_committed_after_a_later_one_is_still_inside_the_checkpoint_that_covers_it():
    inserted, release, errors = threading.Event(), threading.Event(), []

    def slow_writer():
        try:
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("BEGIN")
                _insert(cursor, 990001)  # takes the lower key …
                inserted.set()
                release.wait(timeout=30)
                cursor.execute("COMMIT")  # … and commits after the checkpoint read the maximum
        except BaseException as error:
            errors.append(error)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert inserted.wait(timeout=30), errors
        with connection.cursor() as cursor:
            _insert(cursor, 990002)  # a higher key, committed at once (autocommit)
        threading.Timer(1.0, release.set).start()
        result = write_checkpoint()  # waits for the slow writer before sealing
        assert result.event is not None, result.skipped
        thread.join(timeout=30)
        assert errors == [] and not thread.is_alive()
        sealed = result.event.data["tables"][TABLE]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE m2m_history_id <= %s", [sealed["upto"]])
            assert cursor.fetchone()[0] == sealed["rows"]
        report = verify(triggers=False)
        assert report.ok, report.findings
    finally:
        release.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:  # the rows are history: only the owner may take them away
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(f"DELETE FROM {TABLE} WHERE history_id IN (990001, 990002)")
            cursor.execute("SET session_replication_role = origin")
