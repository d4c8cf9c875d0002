"""The environment is read strictly (issue #13 item 9): a wrong or missing value stops start-up.

Each case imports ``ecase.settings`` in a fresh interpreter with one bad environment and
asserts the exit status and the message, which must name what to fix. No database is needed:
nothing here gets past the settings.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_PRODUCTION = {
    "ECASE_ENV": "production",
    "ECASE_SECRET_KEY": secrets.token_urlsafe(64),
    "ECASE_ALLOWED_HOSTS": "ecase.example.kz",
    "DATABASE_URL": "postgres://ecase@db.example.kz:5432/ecase",
    "REDIS_URL": "redis://redis.example.kz:6379/0",
    "ECASE_PUBLIC_URL": "https://ecase.example.kz",
    "ECASE_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
    "ECASE_EXPORT_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
    "ECASE_BLOB_MASTER_KEYS": f"k1:{secrets.token_urlsafe(32)}",
}
PRINT = "from django.conf import settings; print(settings.ECASE_PUBLIC_URL, settings.PRODUCTION)"


def start(tmp_path, code: str = PRINT, **env) -> subprocess.CompletedProcess:
    """Import the settings (``code``) with only ``env`` of the project's variables set."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ECASE_") and k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "ecase.settings", "ECASE_VAR_DIR": str(tmp_path / "var")})
    clean.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "", "development "])
def test_an_undocumented_ecase_env_stops_start_up_naming_the_allowed_values(tmp_path, value):
    result = start(tmp_path, ECASE_ENV=value)
    assert result.returncode != 0
    assert f"ECASE_ENV={value!r} is not allowed: use one of development, production" in result.stderr


def test_the_documented_values_start(tmp_path):
    development = start(tmp_path, ECASE_ENV="development")
    assert development.returncode == 0, development.stderr
    assert development.stdout.split() == ["http://127.0.0.1:8000", "False"]
    production = start(tmp_path, **GOOD_PRODUCTION)
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["https://ecase.example.kz", "True"]


BAD_PRODUCTION = {
    "no DATABASE_URL": ({"DATABASE_URL": None}, "DATABASE_URL naming a PostgreSQL database"),
    "SQLite": ({"DATABASE_URL": "sqlite:////tmp/ecase.sqlite3"}, "DATABASE_URL naming a PostgreSQL database"),
    "no REDIS_URL": ({"REDIS_URL": None}, "REDIS_URL"),
    "no ECASE_ALLOWED_HOSTS": ({"ECASE_ALLOWED_HOSTS": None}, "ECASE_ALLOWED_HOSTS (explicit host names)"),
    "empty ECASE_ALLOWED_HOSTS": ({"ECASE_ALLOWED_HOSTS": " , "}, "ECASE_ALLOWED_HOSTS (explicit host names)"),
    "no ECASE_PUBLIC_URL": ({"ECASE_PUBLIC_URL": None}, "ECASE_PUBLIC_URL (the https:// address"),
    "http ECASE_PUBLIC_URL": (
        {"ECASE_PUBLIC_URL": "http://ecase.example.kz"},
        "ECASE_PUBLIC_URL='http://ecase.example.kz' is not an absolute https URL",
    ),
    "no signing passphrase": ({"ECASE_SIGNING_PASSPHRASE": None}, "ECASE_SIGNING_PASSPHRASE"),
    "no export passphrase": ({"ECASE_EXPORT_SIGNING_PASSPHRASE": None}, "ECASE_EXPORT_SIGNING_PASSPHRASE"),
    "no blob master keys": ({"ECASE_BLOB_MASTER_KEYS": None}, "ECASE_BLOB_MASTER_KEYS"),
}


@pytest.mark.parametrize("change,message", BAD_PRODUCTION.values(), ids=BAD_PRODUCTION.keys())
def test_production_refuses_to_start_without_what_it_needs(tmp_path, change, message):
    result = start(tmp_path, **{**GOOD_PRODUCTION, **change})
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "var" / "signing_passphrase").exists()


def test_production_names_everything_missing_at_once(tmp_path):
    bare = {k: GOOD_PRODUCTION[k] for k in ("ECASE_ENV", "ECASE_SECRET_KEY")}
    result = start(tmp_path, **bare)
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-1]
    for needed in (
        "DATABASE_URL",
        "REDIS_URL",
        "ECASE_ALLOWED_HOSTS",
        "ECASE_PUBLIC_URL",
        "ECASE_SIGNING_PASSPHRASE",
        "ECASE_EXPORT_SIGNING_PASSPHRASE",
        "ECASE_BLOB_MASTER_KEYS",
    ):
        assert needed in line, line


def test_a_malformed_public_url_stops_development_too(tmp_path):
    result = start(tmp_path, ECASE_PUBLIC_URL="ecase.example.kz/verify")
    assert result.returncode != 0 and "is not an absolute https or http URL" in result.stderr


def test_the_qr_code_of_an_act_points_at_the_public_url(settings, investigator, supervisor, tmp_path):
    """The verification address printed on every act comes from ECASE_PUBLIC_URL, not 127.0.0.1."""
    from cases.models import ProceduralActType
    from cases.pdf.snapshot import act_snapshot
    from tests.api.helpers import signed_act
    from tests.factories import register

    settings.ECASE_PUBLIC_URL = "https://ecase.example.kz"
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    case = register(actor=investigator)
    act_type = ProceduralActType.objects.create(code="qr_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = signed_act(case, investigator, act_type)
    from django.utils import timezone

    snapshot = act_snapshot(act, signature_roles=["author"], signed_at=timezone.now())
    assert snapshot["act"]["verification_url"] == f"https://ecase.example.kz/verify/{act.verification_token}/"


# Importing the settings writes nothing (issue #14); `manage.py prepare_dirs` (and every migrate) makes
# the checkout's folders and its development key, which the next process then reads.
KEY = "from django.conf import settings; print(settings.SECRET_KEY, settings.ECASE_SECRET_KEY_EPHEMERAL)"


def manage(tmp_path, *args: str, **env) -> subprocess.CompletedProcess:
    return start(tmp_path, f"from django.core.management import call_command; call_command(*{list(args)!r})", **env)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_importing_the_settings_writes_nothing(tmp_path, environment):
    result = start(tmp_path, **(GOOD_PRODUCTION if environment == "production" else {}))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var").exists()


def test_a_fresh_checkout_signs_with_a_key_of_its_own_process_until_prepared(tmp_path):
    first, second = start(tmp_path, KEY), start(tmp_path, KEY)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.split()[1] == "True" and first.stdout.split()[0] != second.stdout.split()[0]
    warned = manage(tmp_path, "check")
    assert "ecase.W001" in warned.stderr + warned.stdout and "prepare_dirs" in warned.stderr + warned.stdout


def test_prepare_dirs_makes_the_folders_and_a_private_key_that_every_process_then_reads(tmp_path):
    made = manage(tmp_path, "prepare_dirs")
    assert made.returncode == 0, made.stderr
    var = tmp_path / "var"
    for folder in (var, var / "staticfiles", var / "broker", var / "broker" / "processed"):
        assert folder.is_dir(), folder
    key_file = var / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    first, second = start(tmp_path, KEY), start(tmp_path, KEY)
    assert first.stdout.split() == second.stdout.split() == [key, "False"]
    again = manage(tmp_path, "prepare_dirs")
    assert again.returncode == 0 and "nothing to make" in again.stdout
    assert key_file.read_text() == key  # never replaced: the sessions signed with it stay valid
    checked = manage(tmp_path, "check")
    assert checked.returncode == 0 and "ecase.W001" not in checked.stdout + checked.stderr


def test_prepare_dirs_makes_no_key_where_the_environment_gives_one(tmp_path):
    made = manage(tmp_path, "prepare_dirs", ECASE_SECRET_KEY=GOOD_PRODUCTION["ECASE_SECRET_KEY"])
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "var" / "broker").is_dir() and not (tmp_path / "var" / "secret_key").exists()


def test_a_development_secret_derived_before_prepare_dirs_outlives_the_process(tmp_path):
    """The export key's passphrase comes from the checkout's key file, made on first use, not the process' own key."""
    derive = "from cases.export.signature import _passphrase; print(_passphrase().decode())"
    first = start(tmp_path, derive)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "var" / "secret_key").exists()
    second = start(tmp_path, derive)
    assert second.stdout.split() == first.stdout.split() and first.stdout.strip()
