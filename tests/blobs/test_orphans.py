"""blob_orphans (issue #20) and rotate_blob_keys: what no row names, past a grace period, is removed and audited."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cases.models import ProceduralActType
from ecase import blobs
from evidence.services import evidence_file_add
from tests.api.helpers import PDF, signed_act
from tests.evidence.helpers import add_item, png_bytes

DAY = 24 * 3600


@pytest.fixture
def stored(db, backend, case, investigator, supervisor):
    """An evidence file and a signed act (both named by rows) and one stray blob."""
    item = add_item(case, investigator)
    record = evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes()), name="a.png")
    note = ProceduralActType.objects.create(code="blob_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = signed_act(case, investigator, note)
    stray = blobs.put_bytes(b"an upload whose row never committed")
    return {"evidence": record.sha256, "act": act.pdf_sha256, "stray": stray.sha256}


def age(backend, sha256: str, seconds: float) -> None:
    then = time.time() - seconds
    for name in (blobs.body_name(sha256), blobs.key_name(sha256)):
        os.utime(backend.root / name, (then, then))


def run(*args) -> str:
    out = io.StringIO()
    call_command("blob_orphans", *args, stdout=out)
    return out.getvalue()


def test_only_blobs_no_row_names_are_listed(stored):
    assert stored["act"] and blobs.exists(stored["act"])
    output = run("--grace-hours", "0")
    assert stored["stray"] in output and "1 orphan blob(s)" in output
    assert stored["evidence"] not in output and stored["act"] not in output


def test_young_orphans_are_left_alone_by_default(stored):
    assert "0 orphan blob(s) older than 24 h" in run()
    assert "removed 0" in run("--delete")
    assert blobs.exists(stored["stray"])


@pytest.mark.parametrize("backend", ["filesystem"], indirect=True)  # ages are set on the files themselves
def test_delete_removes_old_orphans_only_and_writes_one_audit_event(stored, backend):
    young = blobs.put_bytes(b"a second stray, stored a minute ago").sha256
    for sha in (stored["stray"], stored["evidence"], stored["act"]):
        age(backend, sha, 2 * DAY)
    listing = run()
    assert AuditEvent.objects.filter(event="storage.orphans_removed").count() == 0  # a listing changes nothing
    assert stored["stray"] in listing and young not in listing

    assert f"removed {stored['stray']}" in run("--delete")
    assert not blobs.exists(stored["stray"])
    assert all(blobs.exists(sha) for sha in (young, stored["evidence"], stored["act"]))
    assert blobs.read_bytes(stored["act"]) == PDF
    assert [name for name in backend.names() if stored["stray"] in name] == []
    event = AuditEvent.objects.get(event="storage.orphans_removed")
    assert event.data["removed"] == 1 and event.data["sha256"] == [stored["stray"]]
    assert event.actor is None and event.actor_label.startswith("manage.py")


def test_rotate_blob_keys_rewraps_and_is_audited(stored, settings, backend):
    old = settings.ECASE_BLOB_MASTER_KEYS
    settings.ECASE_BLOB_MASTER_KEYS = f"{blobs.new_master_key_line('k2')},{old}"
    bodies = {sha: backend.read(blobs.body_name(sha)) for sha in stored.values()}
    out = io.StringIO()
    call_command("rotate_blob_keys", stdout=out)
    assert "re-wrapped 3 blob key(s) with master key 'k2'" in out.getvalue()
    settings.ECASE_BLOB_MASTER_KEYS = settings.ECASE_BLOB_MASTER_KEYS.split(",")[0]
    assert blobs.read_bytes(stored["act"]) == PDF
    assert {sha: backend.read(blobs.body_name(sha)) for sha in stored.values()} == bodies
    event = AuditEvent.objects.get(event="storage.keys_rotated")
    assert event.data == {"key_id": "k2", "rewrapped": 3, "current": 0}


# --- the periodic report (issue #20): scheduled, audited, logged, and it removes nothing ----------


def test_the_orphan_report_is_in_the_beat_schedule_and_registered():
    from django.conf import settings

    from ecase.celery import app
    from evidence.tasks import report_blob_orphans

    entry = settings.CELERY_BEAT_SCHEDULE["report-blob-orphans"]
    assert entry["task"] == report_blob_orphans.name and report_blob_orphans.name in app.tasks
    assert entry["schedule"].total_seconds() == DAY


@pytest.mark.parametrize("backend", ["filesystem"], indirect=True)  # ages are set on the files themselves
def test_the_periodic_report_lists_old_orphans_audits_and_logs_them_and_removes_nothing(stored, backend, caplog):
    from evidence.tasks import report_blob_orphans

    assert report_blob_orphans.apply().get() == 0  # the stray is younger than the grace period
    age(backend, stored["stray"], 2 * DAY)
    with caplog.at_level("INFO", logger="evidence.tasks"):
        assert report_blob_orphans.apply().get() == 1
    assert blobs.exists(stored["stray"])  # report-only: removal is the operator's, with --delete
    found = list(AuditEvent.objects.filter(event="storage.orphans_found").order_by("seq"))
    assert [e.data["found"] for e in found] == [0, 1] and found[1].data["sha256"] == [stored["stray"]]
    assert found[1].actor is None and found[1].actor_label == "blob orphan check"
    warning = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warning) == 1 and stored["stray"] in warning[0].getMessage()
    assert "blob_orphans --delete" in warning[0].getMessage()
