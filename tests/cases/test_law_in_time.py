"""Law at the time of the act (issue #13 item 5): dated sanctions, gravity fixed at registration and
changed only by an explicit, audited requalification — never by an edit of reference data or of the case."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from audit.choices import EventType
from audit.models import AuditEvent
from cases import reference_data
from cases.choices import CaseAction, Gravity, Intent
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    CriminalCodeArticle,
    CriminalCodeArticleVersion,
    ProceduralActType,
)
from cases.services.case import case_assign, case_transition, case_update
from tests.api.helpers import Api, issue
from tests.auth import verified_client
from tests.cases.decrees import decree_in_force, requalified, suspect_in_force
from tests.cases.signing_helpers import certify
from tests.factories import article, make_user, register

TODAY = timezone.localdate()


def grants(case) -> tuple[set, set]:
    """The case's guardian rows: (user grants, the unit supervisors' group grants).

    The superior prosecutors' group of the case's prosecutor's office holds its grants whatever the
    gravity (issue #17), so only the units' groups tell whether the unit-wide protection applies.
    """
    users = set(
        CaseUserObjectPermission.objects.filter(content_object=case).values_list("user_id", "permission__codename")
    )
    groups = set(
        CaseGroupObjectPermission.objects.filter(
            content_object=case, group__name__startswith="unit-supervisors:"
        ).values_list("group_id", "permission__codename")
    )
    return users, groups


def visible(user) -> set:
    return set(Case.objects.restrict(user, "view"))


def lower(code: str, *, months: int, since) -> CriminalCodeArticleVersion:
    """A new version of the part's sanction, in force from ``since``."""
    version = CriminalCodeArticleVersion(
        article=article(code),
        in_force_from=since,
        max_imprisonment_months=months,
        intent=Intent.INTENTIONAL,
        amending_law="Закон РК (тест)",
    )
    version.full_clean()
    version.save()
    return version


@pytest.fixture
def deputy(astana):
    """A second supervisor of the unit: sees the unit's cases through its group, never a grave one."""
    return make_user("deputy.head", Role.SUPERVISOR, astana)


@pytest.fixture
def grave(investigator, supervisor, prosecutor):
    return register(
        actor=investigator,
        articles=("99-1",),
        form="investigation",
        supervisor=supervisor,
        prosecutor=prosecutor,
        event_date=TODAY - timedelta(days=40),
        days_ago=30,
    )


@pytest.fixture
def ordinary(investigator, prosecutor):
    return register(actor=investigator, articles=("188-1",), prosecutor=prosecutor, days_ago=5)


def snapshot(*cases) -> dict:
    return {c.pk: (Case.objects.get(pk=c.pk).gravity, grants(c)) for c in cases}


# --- the shipped data and its first versions --------------------------------------------------


def test_every_shipped_part_has_a_dated_first_version_flagged_for_checking(reference_data):
    parts = CriminalCodeArticle.objects.all()
    assert parts.exists()
    for part in parts:
        first = part.versions.order_by("in_force_from").first()
        assert first is not None, part.code
        # The Code of 3 July 2014 No. 226-V took effect on 1 January 2015; when each figure was set is unchecked.
        assert first.in_force_from.isoformat() == "2015-01-01" and first.needs_verification
        assert "226-V" in first.amending_law
        assert part.gravity == part.versions.order_by("-in_force_from").first().gravity


# --- reference-data edits never touch a case --------------------------------------------------


def test_lowering_a_sanction_leaves_cases_and_grants_as_they_were(admin, grave, ordinary, deputy):
    """The law changes by a new version (``load_reference_data`` adds it from cases/data/); the
    administration workspace shows the versions and edits none."""
    before = snapshot(grave, ordinary)
    part = article("99-1")
    first = part.versions.get()

    # Overwriting the version the grave case was qualified under is refused: history is not rewritten.
    first.max_imprisonment_months = 48
    with pytest.raises(ValidationError, match="cannot be changed"):
        first.full_clean()
    assert CriminalCodeArticleVersion.objects.get(pk=first.pk).max_imprisonment_months == 180

    # A lower sanction from today on is a new version; the part's listed gravity follows it, no case does.
    CriminalCodeArticleVersion.objects.create(
        article=part,
        in_force_from=TODAY,
        max_imprisonment_months=48,
        intent=Intent.INTENTIONAL,
        amending_law="Закон РК о внесении изменений (тест)",
    )
    assert [v.gravity for v in part.versions.order_by("in_force_from")] == [Gravity.ESPECIALLY_GRAVE, Gravity.MEDIUM]
    assert CriminalCodeArticle.objects.get(pk=part.pk).gravity == Gravity.MEDIUM
    assert snapshot(grave, ordinary) == before
    assert grave not in visible(deputy)
    # The workspace shows both periods: the first ends the day before the new one took effect.
    page = verified_client(admin).get(reverse("reference:article", args=[part.pk])).content.decode()
    assert (TODAY - timedelta(days=1)).strftime("%d.%m.%Y") in page and "Закон РК о внесении изменений" in page


def test_a_version_no_case_relies_on_may_still_be_corrected(grave):
    spare = article("99-2").versions.get()  # no case is qualified under 99-2
    spare.max_imprisonment_months = 300
    spare.full_clean()
    spare.save()
    assert CriminalCodeArticleVersion.objects.get(pk=spare.pk).max_imprisonment_months == 300


def test_new_versions_reloading_the_shipped_data_and_saving_reference_rows_change_no_case(
    grave, ordinary, deputy, monkeypatch, capsys
):
    before = snapshot(grave, ordinary)
    lower("99-1", months=48, since=TODAY)
    lower("188-1", months=12, since=TODAY - timedelta(days=1))

    part = article("99-1")
    part.title_ru = "Убийство (уточнено)"
    part.save()
    act_type = ProceduralActType.objects.first()
    act_type.name_ru = f"{act_type.name_ru} (уточнено)"
    act_type.save()

    # The shipped file now says 99-1 was always 4 years: the stored first version is kept and reported.
    shipped = reference_data.read

    def altered(name):
        rows = shipped(name)
        if name == "criminal_code_articles.json":
            for row in rows:
                if (row["article"], row["part"]) == ("99", 1):
                    row["versions"][0]["max_imprisonment_months"] = 48
        return rows

    monkeypatch.setattr(reference_data, "read", altered)
    call_command("load_reference_data")
    assert "kept the stored sanction of 99-1 2015-01-01" in capsys.readouterr().err
    assert part.versions.get(in_force_from="2015-01-01").max_imprisonment_months == 180

    assert snapshot(grave, ordinary) == before
    assert grave not in visible(deputy)


def test_innocent_edits_of_every_case_field_keep_gravity_and_grants(investigator, supervisor, grave, deputy):
    lower("99-1", months=48, since=TODAY - timedelta(days=20))  # a milder law after the offence
    users, groups = grants(grave)
    assert groups == set()  # grave: no unit-wide group grant

    def fresh():
        return Case.objects.get(pk=grave.pk)

    case_update(
        case_id=grave.pk,
        actor=investigator,
        expected_version=fresh().version,
        reason="Фабула",
        plot="Уточнённая фабула.",
    )
    case_update(
        case_id=grave.pk,
        actor=investigator,
        expected_version=fresh().version,
        reason="Форма",
        proceedings_form="investigation",
    )
    # Another day before the milder law: the same law applies, so the date may be corrected.
    case_update(
        case_id=grave.pk,
        actor=investigator,
        expected_version=fresh().version,
        reason="Дата",
        event_date=TODAY - timedelta(days=35),
    )
    case_transition(case_id=grave.pk, action=CaseAction.START, actor=investigator)
    assert (fresh().gravity, grants(grave)) == (Gravity.ESPECIALLY_GRAVE, (users, groups))

    case_assign(
        case_id=grave.pk,
        actor=supervisor,
        lead_investigator=investigator,
        supervisor=supervisor,
        prosecutor=None,
        reason="Без прокурора",
    )
    assert fresh().gravity == Gravity.ESPECIALLY_GRAVE and grants(grave)[1] == set()

    # The edit page has no articles any more: a posted qualification is not read.
    page = verified_client(investigator).post(
        reverse("cases:edit", args=[grave.pk]),
        {
            "version": fresh().version,
            "articles": [article("188-1").pk],
            "proceedings_form": "investigation",
            "plot": "Ещё раз уточнённая фабула.",
            "event_date": (TODAY - timedelta(days=35)).isoformat(),
            "reason": "Уточнение",
        },
    )
    assert page.status_code == 302
    case = fresh()
    assert case.plot == "Ещё раз уточнённая фабула." and case.gravity == Gravity.ESPECIALLY_GRAVE
    assert sorted(a.code for a in case.articles.all()) == ["99-1"]
    assert grants(grave)[1] == set() and grave not in visible(deputy)


def test_a_date_that_falls_under_another_version_is_refused_and_points_to_requalification(investigator, grave):
    lower("99-1", months=48, since=TODAY - timedelta(days=20))
    version = Case.objects.get(pk=grave.pk).version
    with pytest.raises(ValidationError) as error:
        case_update(
            case_id=grave.pk,
            actor=investigator,
            expected_version=version,
            reason="Дата",
            event_date=TODAY - timedelta(days=10),
        )
    assert "requalification" in error.value.message_dict["event_date"][0]
    case = Case.objects.get(pk=grave.pk)
    assert (case.event_date, case.gravity, case.version) == (
        TODAY - timedelta(days=40),
        Gravity.ESPECIALLY_GRAVE,
        version,
    )


# --- registration: the version in force on the offence date ----------------------------------


def test_registration_takes_the_version_in_force_on_the_offence_date(investigator, supervisor):
    lower("99-1", months=48, since=TODAY - timedelta(days=30))
    before = register(
        actor=investigator, articles=("99-1",), supervisor=supervisor, event_date=TODAY - timedelta(days=31), days_ago=0
    )
    on_the_day = register(actor=investigator, articles=("99-1",), event_date=TODAY - timedelta(days=30), days_ago=0)
    assert before.gravity == Gravity.ESPECIALLY_GRAVE
    assert on_the_day.gravity == Gravity.MEDIUM
    event = AuditEvent.objects.get(case_id=on_the_day.pk, event=EventType.CASE_REGISTERED)
    assert event.data["versions"] == [f"99-1@{(TODAY - timedelta(days=30)).isoformat()}"]


def test_without_an_offence_date_the_registration_day_decides(investigator, supervisor):
    lower("99-1", months=48, since=TODAY - timedelta(days=30))
    registered_earlier = register(actor=investigator, articles=("99-1",), supervisor=supervisor, days_ago=31)
    registered_since = register(actor=investigator, articles=("99-1",), days_ago=29)
    assert (registered_earlier.gravity, registered_since.gravity) == (Gravity.ESPECIALLY_GRAVE, Gravity.MEDIUM)


def test_an_offence_before_any_stored_version_is_refused_not_judged_by_a_later_law(investigator, supervisor):
    with pytest.raises(ValidationError) as error:
        register(actor=investigator, articles=("99-1",), supervisor=supervisor, event_date=TODAY.replace(year=2014))
    assert "99-1" in error.value.message_dict["articles"][0]
    assert not Case.objects.exists()


# --- requalification -------------------------------------------------------------------------


def test_requalification_recomputes_gravity_resyncs_grants_and_is_audited(
    signing, investigator, supervisor, prosecutor, grave, deputy
):
    for user in (investigator, prosecutor):
        certify(user)
    assert grave not in visible(deputy)
    lower("99-1", months=48, since=TODAY - timedelta(days=60))  # in force on the offence date, added afterwards
    assert grave not in visible(deputy)  # the data alone moves nothing

    # The qualification decree in force requalifies (issue #18); the same articles under the milder law.
    decree = requalified(grave, investigator, ["99-1"])
    case = Case.objects.get(pk=grave.pk)
    assert case.gravity == Gravity.MEDIUM
    assert grave in visible(deputy) and grants(grave)[1]
    event = AuditEvent.objects.filter(case_id=grave.pk, event=EventType.CASE_REQUALIFIED).get()
    assert event.actor == investigator and event.data["decision_act"] == decree.pk
    assert event.data["from"]["articles"] == ["99-1"] and event.data["from"]["gravity"] == Gravity.ESPECIALLY_GRAVE
    assert event.data["to"]["gravity"] == Gravity.MEDIUM
    assert event.data["reason"] == str(decree)
    assert any(g.startswith("group:") for g in event.data["grants"]["granted"])

    # Another episode, and the decree corrects the offence date with it.
    suspect = case.participants.get(role="suspect")
    decree_in_force(
        case,
        investigator,
        "qualification",
        suspect=suspect.pk,
        articles=["99-1", "188-1"],
        offence_date=(TODAY - timedelta(days=70)).isoformat(),
    )
    case = Case.objects.get(pk=grave.pk)
    assert case.gravity == Gravity.ESPECIALLY_GRAVE and case.event_date == TODAY - timedelta(days=70)
    assert grave not in visible(deputy) and grants(grave)[1] == set()
    last = AuditEvent.objects.filter(case_id=grave.pk, event=EventType.CASE_REQUALIFIED).latest("seq")
    assert last.data["to"]["articles"] == ["188-1", "99-1"]


def test_requalification_is_refused_to_everyone_directly(supervisor, colleague, investigator, ordinary):
    before = snapshot(ordinary)
    url = reverse("cases:requalify", args=[ordinary.pk])
    data = {"version": ordinary.version, "articles": [article("190-1").pk], "reason": "x"}
    assert verified_client(supervisor).post(url, data).status_code == 403
    assert verified_client(colleague).post(url, data).status_code == 404
    # The case's own investigator is led to drafting the qualification decree; nothing changes.
    response = verified_client(investigator).post(url, data)
    qualification = ProceduralActType.objects.get(code="qualification")
    assert response.status_code == 302 and response["Location"].endswith(f"?act_type={qualification.pk}")
    assert snapshot(ordinary) == before
    assert not AuditEvent.objects.filter(case_id=ordinary.pk, event=EventType.CASE_REQUALIFIED).exists()


def test_the_api_refuses_a_new_qualification_and_accepts_the_same_one(investigator, ordinary):
    api = Api(token=issue(investigator))
    url = f"/api/v1/cases/{ordinary.pk}/"
    same = api.patch(
        url,
        {"articles": [article("188-1").pk], "plot": "Уточнено.", "reason": "Фабула"},
        headers={"If-Match": api.get(url)["ETag"]},
    )
    assert same.status_code == 200 and same.json()["gravity"] == Gravity.MEDIUM
    other = api.patch(
        url,
        {"articles": [article("190-1").pk], "reason": "Переквалификация"},
        headers={"If-Match": api.get(url)["ETag"]},
    )
    assert other.status_code == 400, other.content
    assert [a.code for a in Case.objects.get(pk=ordinary.pk).articles.all()] == ["188-1"]
    assert not AuditEvent.objects.filter(case_id=ordinary.pk, event=EventType.CASE_REQUALIFIED).exists()


def test_a_new_offence_date_changes_gravity_only_by_a_qualification_decree(signing, investigator, prosecutor, ordinary):
    lower("188-1", months=12, since=TODAY - timedelta(days=10))  # small gravity from ten days ago
    api = Api(token=issue(investigator))
    url = f"/api/v1/cases/{ordinary.pk}/"

    def patch(body):
        return api.patch(url, {**body, "reason": "Уточнение"}, headers={"If-Match": api.get(url)["ETag"]})

    # Eight days ago: the same (newer) law as on the registration day: allowed, the stored gravity stays.
    assert patch({"event_date": (TODAY - timedelta(days=8)).isoformat()}).json()["gravity"] == Gravity.MEDIUM
    # Twelve days ago the law gave another gravity than eight days ago: refused, with the articles or without.
    assert patch({"event_date": (TODAY - timedelta(days=12)).isoformat()}).status_code == 400
    with_articles = patch({"event_date": (TODAY - timedelta(days=12)).isoformat(), "articles": [article("188-1").pk]})
    assert with_articles.status_code == 400
    assert Case.objects.get(pk=ordinary.pk).event_date == TODAY - timedelta(days=8)
    # The qualification decree states the date: a requalification under the law of that date.
    for user in (investigator, prosecutor):
        certify(user)
    suspect = suspect_in_force(ordinary, investigator)
    decree_in_force(
        ordinary,
        investigator,
        "qualification",
        suspect=suspect.pk,
        articles=["188-1"],
        offence_date=(TODAY - timedelta(days=7)).isoformat(),
    )
    assert Case.objects.get(pk=ordinary.pk).gravity == Gravity.SMALL
    event = AuditEvent.objects.get(case_id=ordinary.pk, event=EventType.CASE_REQUALIFIED)
    assert event.data["from"]["gravity"] == Gravity.MEDIUM and event.data["to"]["gravity"] == Gravity.SMALL


def test_a_requalification_that_changes_nothing_is_not_applied_and_records_nothing(
    signing, investigator, prosecutor, ordinary
):
    for user in (investigator, prosecutor):
        certify(user)
    suspect = suspect_in_force(ordinary, investigator)
    before = Case.objects.get(pk=ordinary.pk)
    decree = decree_in_force(ordinary, investigator, "qualification", suspect=suspect.pk, articles=["188-1"])
    [effect] = decree.applied_effects.all()
    assert not effect.applied and effect.outcome
    after = Case.objects.get(pk=ordinary.pk)
    assert (after.version, after.gravity) == (before.version, before.gravity)
    assert not AuditEvent.objects.filter(case_id=ordinary.pk, event=EventType.CASE_REQUALIFIED).exists()
