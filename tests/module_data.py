"""Data built once for a whole test module, as Django's ``TestCase.setUpTestData`` builds it for a class.

The sweeps (tests/test_access_sweep.py and the modules that import its ``world``) ask hundreds of
routes the same question of the same world; building that world — two cases, their acts signed
through the workflow, a sealed and a sanctioned one, evidence with a file — for every route was
most of their time. Here it is written once inside an outer transaction that stays open for the
module: each test's own transaction (pytest-django's ``db``) is a savepoint inside it, rolled back
after the test, so every test starts from the same rows, and the outer transaction is rolled back
when the module ends, so the next module finds an empty database. A module using it cannot hold a
test that needs real commits (``transactional_db``), and must take its people from the world rather
than from the conftest fixtures, which would create the same users again (tests/test_access_sweep.py
overrides them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.test import override_settings


@contextmanager
def module_transaction(django_db_blocker, tmp_path_factory) -> Iterator[None]:
    # The settings the function-scoped autouse fixtures of tests/conftest.py give each test, for the
    # data written before any test starts: fast password hashing, English, a private storage folder.
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            LANGUAGE_CODE="en",
            ECASE_PRIVATE_STORAGE=tmp_path_factory.mktemp("module-data"),
        ),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
