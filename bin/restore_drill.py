#!/usr/bin/env python3
"""The restore drill (issue #20): back up a demo installation exactly as docs/OPERATIONS.md tells
operators, restore it into a fresh database and a fresh blob store, and prove the copy whole.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecase .venv/bin/python bin/restore_drill.py

1. A scratch installation (its own database ``<name>_drill_source`` and its own var/ directory: keys,
   blob store, a folder broker — Redis is not used): ``migrate``, ``seed_demo``, the approved acts
   rendered and signed by the worker's task, one case exported (the copy a prosecutor holds),
   the audit heads exported (``audit_heads``, kept outside the database).
2. The backup, as the manual says: ``pg_dump -Fc``; then the blob store (after the dump starts);
   the keys and passphrase files.
3. The restore into ``<name>_drill_restored`` and a new var/: keys first, ``pg_restore --no-owner``,
   ``migrate``, the blob store copied back.
4. The checks, each OK or FAIL: row counts of every table equal; every blob present, decrypting
   and hashing to its address (and every address a row names present); the signing keys open
   under the restored passphrase; every signed act's PDF hashes to its recorded SHA-256 and its
   signature verifies; ``verify_audit --heads`` (every chain, the guards, the sealed history); the
   export made before the backup verifies against the restored export certificate; a new export
   of the restored system verifies with ``verify_export --trust`` the backed-up certificate.
5. A self-test of the checks (``--no-self-test`` skips it): the same backup restored damaged — one
   table's rows left out, one evidence blob with a flipped byte, the signing passphrase and the
   export key forgotten — must FAIL the checks that guard against each. A drill whose checks
   cannot fail proves nothing.

Prints a table of checks and the time of each phase; exits 1 when a check of the restore failed
or the damaged copy passed a check it must fail. The scratch databases are dropped at the end
(``--keep`` keeps them and the work directory).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
# What the self-test damages, and the checks each damage must fail.
DAMAGED_TABLE = "evidence_custodyevent"
MUST_FAIL = {
    "row counts": f"the data of {DAMAGED_TABLE} left out of the restore",
    "blob store": "one byte of an evidence blob flipped",
    "signing keys": "the signing passphrase file forgotten",
    "export before the backup": "the export key forgotten",
    "export round trip": "the export key forgotten",
}
KEY_FILES = ("secret_key", "signing_passphrase", "blob_master_keys", "export_signing")


# --- inside an installation (Django set up on its DATABASE_URL and ECASE_VAR_DIR) -------------------


def _setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
    import django

    django.setup()


def _facts() -> dict:
    """What must survive the round trip: rows per table, the stored blobs, the signed acts."""
    from django.db import connection

    from cases.models import ProceduralAct
    from ecase import blobs
    from evidence.models import EvidenceFile

    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    signed = dict(ProceduralAct._base_manager.exclude(pdf_sha256="").values_list("pk", "pdf_sha256"))
    return {
        "rows": counts,
        "blobs": sorted(sha for sha, _ in blobs.iter_blobs()),
        "signed_acts": {str(pk): sha for pk, sha in signed.items()},
        "evidence_blobs": sorted(set(EvidenceFile._base_manager.values_list("sha256", flat=True))),
    }


def inside_source(work: Path) -> None:
    """migrate and seed_demo; sign what the demo approved; seal the history, export one case and the
    audit heads; record the facts. One process: on a busy machine each Django start costs seconds."""
    import io

    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())

    from cases.choices import RenderingState
    from cases.models import ActRendering, Case
    from cases.tasks import render_act

    # In each act's signing order: a signature waits for the ones before it in its round (issue #17).
    pending_ids = (
        ActRendering.objects.exclude(state=RenderingState.SIGNED)
        .order_by("act_id", "act_version", "step")
        .values_list("pk", flat=True)
    )
    for rendering_id in pending_ids:
        render_act.apply(args=[rendering_id])  # the worker's own task, run here
    pending = ActRendering.objects.exclude(state=RenderingState.SIGNED).count()
    if pending:
        raise SystemExit(f"the demo world left {pending} rendering(s) unsigned")
    case = (
        Case.objects.filter(acts__pdf_sha256__gt="", evidence_items__files__isnull=False)
        .select_related("lead_investigator")
        .distinct()
        .first()
    )
    if case is None:
        raise SystemExit("the demo world has no case with signed acts and evidence files to export")
    call_command(
        "export_case",
        case.registration_number,
        "--as",
        case.lead_investigator.username,
        "-o",
        str(work / "source-export.zip"),
        stdout=io.StringIO(),
    )
    # The periodic audit task seals new history rows; a backup taken after it holds them sealed, so
    # verify_audit checks the restored history against its seals, not only the chains.
    call_command("audit_checkpoint", stdout=io.StringIO())
    call_command("audit_heads", "-o", str(work / "backup" / "audit-heads.json"))
    facts = _facts()  # last: the export and the heads are part of the state the dump holds
    facts["exported_case"] = case.registration_number
    (work / "source-facts.json").write_text(json.dumps(facts))


def _check(name: str, fn) -> dict:
    started = time.monotonic()
    try:
        ok, detail = fn()
    except SystemExit as error:  # a command's own failure exit
        ok, detail = False, f"exit {error.code}"
    except Exception as error:
        ok, detail = False, f"{type(error).__name__}: {error}"[:300]
    return {"check": name, "ok": bool(ok), "detail": detail, "seconds": round(time.monotonic() - started, 1)}


def inside_check(work: Path, *, migrate: bool) -> None:
    """``migrate`` (the restore's last database step), then every check against the restored
    installation; the results as JSON on stdout's last line."""
    import io

    from django.core.management import call_command

    if migrate:  # a no-op on a dump of the same version, as the manual says
        call_command("migrate", "--noinput", verbosity=0)

    from cases.export import export_case, verify_export
    from cases.models import Case, SigningAuthority, SigningCertificate
    from cases.signing.authority import BUILTIN
    from cases.signing.passphrase import signing_passphrase
    from cases.signing.server import opened_signer
    from cases.signing.verify import verify_pdf
    from ecase import blobs
    from evidence.orphans import BLOB_FIELDS

    source = json.loads((work / "source-facts.json").read_text())
    backup = work / "backup"

    def row_counts():
        restored = _facts()["rows"]
        differ = [
            f"{table} {restored.get(table)} != {count}"
            for table, count in source["rows"].items()
            if restored.get(table) != count
        ] + [f"{table} not in the source" for table in restored if table not in source["rows"]]
        rows = sum(source["rows"].values())
        return not differ, "; ".join(differ[:5]) or f"{len(source['rows'])} tables, {rows} rows equal"

    def blob_store():
        stored = sorted(sha for sha, _ in blobs.iter_blobs())
        problems = []
        if stored != source["blobs"]:
            problems.append(
                f"{len(set(source['blobs']) - set(stored))} blob(s) missing, {len(set(stored) - set(source['blobs']))} extra"
            )
        for sha in stored:
            digest = hashlib.sha256()
            try:
                for chunk in blobs.chunks(sha):
                    digest.update(chunk)
            except Exception as error:  # BlobCorrupt, BlobMissing, a key that does not unwrap
                problems.append(f"{sha[:12]}…: {type(error).__name__}")
                continue
            if digest.hexdigest() != sha:
                problems.append(f"{sha[:12]}… hashes to {digest.hexdigest()[:12]}…")
        named = set()
        for model, field in BLOB_FIELDS:
            named.update(model._base_manager.exclude(**{field: ""}).values_list(field, flat=True))
        unnamed = named - set(stored)
        if unnamed:
            problems.append(f"{len(unnamed)} address(es) named by rows not in the store")
        detail = (
            f"{len(stored)} blobs decrypt and hash to their address; every one of {len(named)} named by a row present"
        )
        return not problems, "; ".join(problems[:5]) or detail

    def signing_keys():
        from cryptography.hazmat.primitives import serialization

        passphrase = signing_passphrase()
        authority = SigningAuthority.objects.get(name=BUILTIN)
        serialization.load_pem_private_key(authority.private_key_pem.encode(), passphrase)
        certificates = list(SigningCertificate.objects.usable())
        for certificate in certificates:
            opened_signer(certificate)
        return bool(certificates), f"the CA key and {len(certificates)} user key(s) open under the restored passphrase"

    def signed_acts():
        from cases.models import ProceduralAct

        restored = dict(ProceduralAct._base_manager.exclude(pdf_sha256="").values_list("pk", "pdf_sha256"))
        problems = []
        if {str(pk): sha for pk, sha in restored.items()} != source["signed_acts"]:
            problems.append("the signed acts differ from the source's")
        for pk, sha in restored.items():
            try:
                data = blobs.read_bytes(sha)
            except Exception as error:
                problems.append(f"act {pk}: {type(error).__name__}")
                continue
            if hashlib.sha256(data).hexdigest() != sha:
                problems.append(f"act {pk}: the PDF does not hash to its recorded SHA-256")
                continue
            result = verify_pdf(data)
            if not result.valid:
                problems.append(f"act {pk}: {'; '.join(result.problems)}")
        return bool(restored) and not problems, "; ".join(problems[:5]) or f"{len(restored)} signed PDFs verify"

    def audit_trail():
        out = io.StringIO()
        call_command("verify_audit", "--heads", str(backup / "audit-heads.json"), stdout=out, stderr=out)
        return True, out.getvalue().strip().splitlines()[0][:200]

    def export_before():
        check = verify_export(work / "source-export.zip")
        return check.valid, "; ".join(f"{m}: {p}" for m, p in check.problems[:3]) or (
            f"case {check.case_number}: {check.members} members, signed by the restored export key"
        )

    def export_round_trip():
        case = Case.objects.select_related("lead_investigator").get(registration_number=source["exported_case"])
        path = Path(tempfile.mkdtemp(dir=work)) / "restored-export.zip"
        with path.open("wb") as stream:
            export_case(case_id=case.pk, actor=case.lead_investigator, output=stream)
        certificate = (backup / "keys" / "export_signing" / "cert.pem").read_bytes()
        check = verify_export(path, trusted=[certificate])
        return check.valid, "; ".join(f"{m}: {p}" for m, p in check.problems[:3]) or (
            f"a new export of case {check.case_number} verifies with --trust the backed-up certificate"
        )

    # Row counts and blobs first: the later checks write (an export is audited).
    results = [
        _check("row counts", row_counts),
        _check("blob store", blob_store),
        _check("signing keys", signing_keys),
        _check("signed acts", signed_acts),
        _check("audit trail", audit_trail),
        _check("export before the backup", export_before),
        _check("export round trip", export_round_trip),
    ]
    print(json.dumps(results))


# --- outside: the operator's side ---------------------------------------------------------------


class Drill:
    def __init__(self, server_url: str, work: Path, verbose: bool):
        url = urlparse(server_url)
        if not url.scheme.startswith("postgres"):
            raise SystemExit("the drill needs DATABASE_URL naming a PostgreSQL server (pg_dump, pg_restore)")
        self.url, self.work, self.verbose = url, work, verbose
        base = (url.path.lstrip("/") or "ecase").split("?")[0]
        self.names = {role: f"{base}_drill_{role}" for role in ("source", "restored", "damaged")}
        self.timings: dict[str, float] = {}

    def db_url(self, role: str) -> str:
        return urlunparse(self.url._replace(path="/" + self.names[role]))

    def env(self, role: str) -> dict:
        # Hermetic: nothing of the caller's installation (keys, Redis, storage) leaks into the drill's.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_") and k not in ("REDIS_URL",)}
        env.update(DATABASE_URL=self.db_url(role), ECASE_VAR_DIR=str(self.work / role), PYTHONUNBUFFERED="1")
        return env

    def run(self, args: list[str], *, role: str | None = None, capture: bool = False) -> str:
        if self.verbose:
            print(f"  $ {' '.join(args)}", flush=True)
        done = subprocess.run(
            args,
            env=self.env(role) if role else None,
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if not capture else subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}\n{done.stdout}{done.stderr or ''}")
        return done.stdout

    def inside(self, role: str, step: str, *extra: str) -> str:
        return self.run(
            [sys.executable, __file__, "--inside", step, "--work", str(self.work), *extra], role=role, capture=True
        )

    def sql(self, statement: str) -> None:
        import psycopg2

        connection = psycopg2.connect(urlunparse(self.url._replace(path="/postgres")))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def drop_databases(self) -> None:
        for name in self.names.values():
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def phase(self, name: str):
        drill = self

        class _Timer:
            def __enter__(self):
                print(f"{name} …", flush=True)
                self.started = time.monotonic()

            def __exit__(self, *exc):
                drill.timings[name] = time.monotonic() - self.started

        return _Timer()

    # The phases ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        (self.work / "source").mkdir(parents=True)
        (self.work / "backup" / "keys").mkdir(parents=True)
        self.sql(f'CREATE DATABASE "{self.names["source"]}"')
        self.inside("source", "source")

    def backup(self) -> None:
        """docs/OPERATIONS.md, "What to back up": the database, then the blob store, then the keys."""
        backup, source = self.work / "backup", self.work / "source"
        self.run(["pg_dump", "-Fc", "-f", str(backup / "db.pgc"), "--dbname", self.db_url("source")])
        shutil.copytree(source / "private", backup / "private", symlinks=True)  # after the dump starts
        for name in KEY_FILES:
            copy = shutil.copytree if (source / name).is_dir() else shutil.copy2
            copy(source / name, backup / "keys" / name)

    def restore(self, role: str, *, damaged: bool = False) -> None:
        """docs/OPERATIONS.md, "How to restore": keys first, the database, migrate, the blob store."""
        backup, var = self.work / "backup", self.work / role
        var.mkdir()
        for name in KEY_FILES:
            if damaged and name in ("signing_passphrase", "export_signing"):
                continue  # forgotten
            copy = shutil.copytree if (backup / "keys" / name).is_dir() else shutil.copy2
            copy(backup / "keys" / name, var / name)
        self.sql(f'CREATE DATABASE "{self.names[role]}"')
        restore = ["pg_restore", "--no-owner", "--exit-on-error", "-d", self.db_url(role)]
        if damaged:  # an incomplete restore: one table's rows left out
            listing = self.run(["pg_restore", "-l", str(backup / "db.pgc")], capture=True)
            kept = [
                line for line in listing.splitlines() if not (" TABLE DATA " in line and f" {DAMAGED_TABLE} " in line)
            ]
            (self.work / "damaged.list").write_text("\n".join(kept) + "\n")
            restore += ["-L", str(self.work / "damaged.list")]
        self.run([*restore, str(backup / "db.pgc")])
        shutil.copytree(backup / "private", var / "private", symlinks=True)
        if damaged:
            facts = json.loads((self.work / "source-facts.json").read_text())
            sha = facts["evidence_blobs"][0]
            body = var / "private" / "blobs" / sha[:2] / sha[2:4] / sha
            body.chmod(0o640)
            data = bytearray(body.read_bytes())
            data[len(data) // 2] ^= 0x01
            body.write_bytes(bytes(data))

    def check(self, role: str, *, migrate: bool) -> list[dict]:
        output = self.inside(role, "check", *(["--migrate"] if migrate else []))
        return json.loads(output.strip().splitlines()[-1])


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inside", choices=("source", "check"), help=argparse.SUPPRESS)
    parser.add_argument("--migrate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases and the work directory")
    parser.add_argument("--no-self-test", action="store_true", help="skip restoring a damaged copy")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every command run")
    options = parser.parse_args()
    if options.inside:
        _setup_django()
        if options.inside == "source":
            inside_source(options.work)
        else:
            inside_check(options.work, migrate=options.migrate)
        return 0

    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecase")
    work = options.work or Path(tempfile.mkdtemp(prefix="ecase-restore-drill-"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        raise SystemExit(f"{work} is not empty")
    drill = Drill(server, work, options.verbose)
    started = time.monotonic()
    drill.drop_databases()
    try:
        with drill.phase("source: migrate, seed_demo, sign, export, audit heads"):
            drill.prepare()
        with drill.phase("backup: pg_dump -Fc, blob store, keys"):
            drill.backup()
        with drill.phase("restore: keys, pg_restore, blob store"):
            drill.restore("restored")
        with drill.phase("restore: migrate; the checks of the restored copy"):
            results = drill.check("restored", migrate=True)
        damaged: list[dict] = []
        if not options.no_self_test:
            with drill.phase("self-test: a damaged copy restored and checked"):
                drill.restore("damaged", damaged=True)
                damaged = drill.check("damaged", migrate=False)  # no migrate: a no-op, and seconds
    finally:
        if not options.keep:
            drill.drop_databases()
    facts = json.loads((work / "source-facts.json").read_text())
    backup_size = _size(work / "backup")

    print()
    print(
        f"restore drill of the demo world: {sum(facts['rows'].values())} rows in {len(facts['rows'])} tables, "
        f"{len(facts['blobs'])} blobs, {len(facts['signed_acts'])} signed acts; backup {backup_size / 1e6:.1f} MB "
        f"(dump {(work / 'backup' / 'db.pgc').stat().st_size / 1e6:.1f} MB)"
    )
    width = max(len(r["check"]) for r in results) + 2
    print(f"\n{'check':<{width}}{'restored':<10}detail")
    for result in results:
        print(f"{result['check']:<{width}}{'OK' if result['ok'] else 'FAIL':<10}{result['detail']}")
    failed = [r["check"] for r in results if not r["ok"]]
    missed = []
    if damaged:
        print(f"\nself-test: the damaged copy ({', '.join(sorted(set(MUST_FAIL.values())))})")
        print(f"{'check':<{width}}{'damaged':<10}detail")
        for result in damaged:
            expected = result["check"] in MUST_FAIL
            verdict = ("FAIL" if not result["ok"] else "ok (!)") if expected else ("OK" if result["ok"] else "fail")
            print(f"{result['check']:<{width}}{verdict:<10}{result['detail']}")
            if expected and result["ok"]:
                missed.append(result["check"])
    print()
    for name, seconds in drill.timings.items():
        print(f"{seconds:6.1f} s  {name}")
    print(f"{time.monotonic() - started:6.1f} s  in all")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"\nRESTORE DRILL FAILED: {', '.join(failed)}")
    if missed:
        print(f"\nSELF-TEST FAILED: the damaged copy passed {', '.join(missed)}")
    if failed or missed:
        return 1
    print("\nrestore drill: every check OK" + ("; the damaged copy failed every check it must" if damaged else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
