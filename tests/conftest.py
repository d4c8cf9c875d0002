"""The people of the test suite, named for their relation to the case (EXAMPLES §7).

Astana (unit AST, with district AST1 below it), Taraz (TRZ) and the Astana prosecutor's office
(ASTP): investigator leads the case; colleague works in the same unit but not on the case;
supervisor heads Astana; prosecutor supervises the case from ASTP; superior is a superior
prosecutor of ASTP (its head); outsider is an investigator in Taraz; admin is the IT
administrator (and a superuser, which must not matter).
"""

import uuid

import pytest

from accounts.choices import UnitKind
from tests.factories import UnitFactory, register
from tests.people import load_reference_data, make_person, make_unit


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; the suite creates hundreds. Production keeps PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_cache_namespace(settings):
    # Rate-limit and throttle windows live in the cache and outlast a test; a key prefix of
    # each test's own keeps one test's requests from counting against the next one's.
    settings.CACHES = {
        alias: {**conf, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"} for alias, conf in settings.CACHES.items()
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    # A request sets its own statement_timeout on the connection (ecase/query_budget.py); tests share
    # that connection with the request, so the page budget must not outlive the test into its
    # teardown (a transactional test's flush of every table may take longer than a page may).
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.connection is not None:
            try:
                with conn.cursor() as cursor:
                    cursor.execute("RESET statement_timeout")
            except Exception:
                pass
    yield


@pytest.fixture(autouse=True)
def english_interface(settings):
    # Assertions read the English source strings; tests/test_i18n.py covers kk and ru.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def reference_data(db):
    load_reference_data()


@pytest.fixture
def astana(reference_data):
    return make_unit("astana")


@pytest.fixture
def astana_district(astana):
    return UnitFactory(
        code="AST1",
        parent=astana,
        name_ru="УП района Есиль",
        name_kk="Есіл ауданы ПБ",
        kind=UnitKind.DISTRICT,
        city="Астана",
    )


@pytest.fixture
def taraz(reference_data):
    return make_unit("taraz")


@pytest.fixture
def prosecutors_office(reference_data):
    return make_unit("prosecutors_office")


@pytest.fixture
def investigator(astana):
    return make_person("investigator", astana)


@pytest.fixture
def colleague(astana):
    return make_person("colleague", astana)


@pytest.fixture
def supervisor(astana):
    return make_person("supervisor", astana)


@pytest.fixture
def prosecutor(prosecutors_office):
    return make_person("prosecutor", prosecutors_office)


@pytest.fixture
def superior(prosecutors_office):
    return make_person("superior", prosecutors_office)


@pytest.fixture
def outsider(taraz):
    return make_person("outsider", taraz)


@pytest.fixture
def admin(reference_data):
    return make_person("admin", None)


@pytest.fixture
def case(investigator, prosecutor):
    return register(actor=investigator, prosecutor=prosecutor)
