"""Bulk demo cases: N cases with persons, participants, acts, evidence and grants, in batches.

Every model holding case data is written with ``CaseDataQuerySet.bulk_create(objs, actor=...)``,
which also writes its simple-history rows; each object carries its own ``_history_user`` (the
investigator who registered the case, the prosecutor who extended the term, ...) and
``_history_date``. Many-to-many links (Case.articles, Case.group, ProceduralAct.participants)
go through their ``through`` models, and their historical m2m tables get one snapshot row per
link for the historical row of the parent, as simple-history writes them after a save.

Guardian grants are the rows ``cases.access.sync_grants`` would create for each case
(tests/test_seed_demo.py compares them). Registration numbers are taken in blocks from
``RegistrationSequence``, so later registrations through the service continue after them.

Batches are independent: each one allocates its numbers in a short transaction of its own and
writes its rows in another, so several worker processes can load in parallel (PostgreSQL).
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User, ancestor_paths
from accounts.services import office_superiors_group, unit_supervisors_group, user_create
from cases import access
from cases.choices import ActStatus, CaseAction, CaseStatus, Gravity
from cases.choices import CaseStatus as S
from cases.choices import ParticipantRole as R
from cases.choices import ProceedingsForm as F
from cases.deadlines import Period, compute_deadline
from cases.models import (
    ActRequirement,
    Case,
    CaseGroupObjectPermission,
    CaseStatusChange,
    CaseUserObjectPermission,
    CriminalCodeArticle,
    DeadlineExtension,
    Interruption,
    Participant,
    Person,
    ProceduralAct,
    ProceduralActType,
    ProceedingsTerm,
    RegistrationSequence,
)
from cases.services.registration import format_registration_number
from ecase.history import attribute

from . import integrity, people, sinks, texts, world

M = TypeVar("M", bound=Model)
REASON = "Демонстрационные данные (seed_demo --cases)"
YEARS_BACK = 2  # cases are registered over the last two years
CASES_PER_INVESTIGATOR = 10
CASES_PER_PROSECUTOR = 500
NEW_PERSONS_PER_CASE = 4  # victim, suspect, witness, defence counsel: the width of a case's IIN index block
REUSE_POOL = 2000

# Bulk units: five regions with three departments each, plus a prosecutor's office per region.
REGIONS = (
    (
        "75",
        "г. Алматы",
        "Алматы қаласы",
        "Алматы",
        (
            ("7511", "Алмалинского района г. Алматы", "Алмалы ауданының"),
            ("7512", "Бостандыкского района г. Алматы", "Бостандық ауданының"),
            ("7513", "Медеуского района г. Алматы", "Медеу ауданының"),
        ),
    ),
    (
        "79",
        "г. Шымкента",
        "Шымкент қаласы",
        "Шымкент",
        (
            ("7911", "Абайского района г. Шымкента", "Абай ауданының"),
            ("7912", "Аль-Фарабийского района г. Шымкента", "Әл-Фараби ауданының"),
            ("7913", "Енбекшинского района г. Шымкента", "Еңбекші ауданының"),
        ),
    ),
    (
        "35",
        "Карагандинской области",
        "Қарағанды облысы",
        "Караганда",
        (
            ("3511", "г. Караганды", "Қарағанды қаласының"),
            ("3512", "г. Темиртау", "Теміртау қаласының"),
            ("3513", "г. Жезказгана", "Жезқазған қаласының"),
        ),
    ),
    (
        "15",
        "Актюбинской области",
        "Ақтөбе облысы",
        "Актобе",
        (
            ("1511", "г. Актобе", "Ақтөбе қаласының"),
            ("1512", "Мартукского района", "Мәртөк ауданының"),
            ("1513", "Хромтауского района", "Хромтау ауданының"),
        ),
    ),
    (
        "63",
        "Восточно-Казахстанской области",
        "Шығыс Қазақстан облысы",
        "Усть-Каменогорск",
        (
            ("6311", "г. Усть-Каменогорска", "Өскемен қаласының"),
            ("6312", "г. Риддера", "Риддер қаласының"),
            ("6313", "Глубоковского района", "Глубокое ауданының"),
        ),
    ),
)
GRAVITY_WEIGHTS = {
    Gravity.MISDEMEANOUR: 25,
    Gravity.SMALL: 22,
    Gravity.MEDIUM: 33,
    Gravity.GRAVE: 15,
    Gravity.ESPECIALLY_GRAVE: 5,
}
FORMS_BY_GRAVITY = {
    Gravity.MISDEMEANOUR: (F.PROTOCOL,),
    Gravity.SMALL: (F.EXPEDITED, F.INQUIRY),
    Gravity.MEDIUM: (F.INQUIRY, F.INVESTIGATION, F.EXPEDITED),
    Gravity.GRAVE: (F.INVESTIGATION,),
    Gravity.ESPECIALLY_GRAVE: (F.INVESTIGATION,),
}
INTERRUPTION_GROUNDS = ("suspect_not_identified", "suspect_hiding", "suspect_abroad", "legal_assistance")


# ---------------------------------------------------------------------------------------------
# The world the batches draw from (built once, before any worker starts)
# ---------------------------------------------------------------------------------------------


@dataclass
class UnitInfo:
    id: int
    code: str
    city: str
    weight: int
    region_id: int  # Case.region_unit / district_unit: Unit.scope_ids
    district_id: int | None
    investigators: list[int] = field(default_factory=list)
    supervisors: list[int] = field(default_factory=list)  # of this unit and the units above it
    prosecutors: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)  # supervisors' groups of this unit and the units above it


@dataclass
class BulkContext:
    seed: int
    now: datetime
    actor_id: int
    person_base: int
    units: list[UnitInfo]
    unit_weights: list[int]
    articles_by_gravity: dict[int, list[tuple[int, str, str]]]  # gravity -> [(id, code, article number)]
    act_types: dict[str, tuple[int, list[dict], bool]]  # code -> (id, field specs, requires approval)
    terms: dict[str, tuple[int | None, int | None]]
    perms: dict[str, int]  # codename -> permission id
    names: dict[int, str]  # investigator id -> short name, for custody records
    # prosecutor id -> superiors' groups of their office and the units above it
    superior_groups: dict[int, list[int]] = field(default_factory=dict)
    method: str = "auto"  # sinks.sink_for: "orm" (bulk_create), "copy" (PostgreSQL COPY) or "auto"
    defer_fk_checks: bool = False  # PostgreSQL superuser: no row-by-row FK triggers; integrity.verify afterwards


@dataclass
class BulkResult:
    cases: int
    seconds: float
    rows: Counter
    setup_seconds: float = 0.0
    workers: int = 1
    method: str = ""
    fk_checked: int = 0  # foreign keys verified after a load with deferred checks
    fk_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (
            f"bulk: {self.cases} cases, {self.total_rows} rows in {self.seconds:.1f} s "
            f"({rate:.0f} cases/s, {self.total_rows / max(self.seconds, 1e-9):.0f} rows/s; setup "
            f"{self.setup_seconds:.1f} s; {self.workers} worker(s), {self.method}"
            + (f"; {self.fk_checked} foreign keys verified in {self.fk_seconds:.1f} s" if self.fk_checked else "")
            + ")"
        )


def _ensure_units(admin: User) -> tuple[list[Unit], dict[str, Unit]]:
    """The bulk regions, departments and prosecutor's offices (created once, reused afterwards)."""
    created: list[Unit] = []
    offices: dict[str, Unit] = {}

    def get_or_make(code, parent, name_ru, name_kk, kind, city) -> Unit:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            unit = Unit(code=code, parent=parent, name_ru=name_ru, name_kk=name_kk, kind=kind, city=city)
            attribute(unit, actor=admin, reason=REASON)
            unit.save()
        return unit

    for code, name_ru, name_kk, city, departments in REGIONS:
        region = get_or_make(code, None, f"ДП {name_ru}", f"{name_kk} ПД", UnitKind.REGION, city)
        created.append(region)
        for dep_code, dep_ru, dep_kk in departments:
            created.append(get_or_make(dep_code, region, f"УП {dep_ru}", f"{dep_kk} ПБ", UnitKind.DISTRICT, city))
        offices[code] = get_or_make(
            f"{code}P", None, f"Прокуратура {name_ru}", f"{name_kk} прокуратурасы", UnitKind.PROSECUTOR_OFFICE, city
        )
    return created, offices


def _region_code(unit: Unit) -> str:
    return unit.path.split("/", 1)[0]


def _new_users(
    *, admin: User, role: str, unit: Unit, prefix: str, count: int, rng: random.Random, position: str
) -> list[int]:
    """``count`` users with unusable passwords, inserted in bulk with their history rows."""
    if count <= 0:
        return []
    start = User.objects.filter(username__startswith=prefix).count() + 1
    unusable = make_password(None)  # one unusable hash for all: nobody signs in as a bulk user
    users = []
    for n in range(start, start + count):
        sex = "F" if rng.random() < 0.35 else "M"
        last, first, middle = people.names(rng, sex)
        user = User(
            username=f"{prefix}{n:06d}",
            role=role,
            unit=unit,
            first_name=first,
            last_name=last,
            middle_name=middle,
            position=position,
            password=unusable,
            language="ru",
        )
        users.append(user)
    for start_at in range(0, len(users), 5000):
        chunk = users[start_at : start_at + 5000]
        User.objects.bulk_create(chunk)
        User.history.bulk_history_create(chunk, default_user=admin, default_change_reason=REASON)
    return [u.pk for u in users]


def build_context(*, cases: int, seed: int, now: datetime, method: str = "auto") -> BulkContext:
    """Units, investigators (one per ~10 new cases), supervisors, prosecutors and reference data."""
    rng = random.Random(seed)
    admin = User.objects.filter(username=world.ADMIN_USERNAME).first()
    if admin is None:
        raise RuntimeError("bulk cases need the demo world first (manage.py seed_demo)")
    bulk_units, offices = _ensure_units(admin)
    pool = list(bulk_units) + list(
        Unit.objects.filter(code__in=[u.code for u in world.UNITS if u.kind != UnitKind.PROSECUTOR_OFFICE])
    )
    weights = [3 if unit.kind != UnitKind.REGION else 1 for unit in pool]
    per_unit = _spread(max(len(pool), math.ceil(cases / CASES_PER_INVESTIGATOR)), weights)

    infos: list[UnitInfo] = []
    for unit, weight, n_investigators in zip(pool, weights, per_unit):
        region_id, district_id = unit.scope_ids()
        info = UnitInfo(
            id=unit.pk, code=unit.code, city=unit.city, weight=weight, region_id=region_id, district_id=district_id
        )
        info.investigators = list(
            User.objects.filter(unit=unit, role=Role.INVESTIGATOR, is_active=True).values_list("pk", flat=True)
        )
        info.investigators += _new_users(
            admin=admin,
            role=Role.INVESTIGATOR,
            unit=unit,
            prefix=f"sled.{unit.code.lower()}.",
            count=n_investigators,
            rng=rng,
            position=f"Следователь {unit.name_ru}",
        )
        infos.append(info)
    bulk_ids = {u.pk for u in bulk_units}
    for unit in pool:
        _ensure_supervisor(admin, unit, bulk=unit.pk in bulk_ids)
    for unit, info in zip(pool, infos):
        ancestors = list(Unit.objects.filter(path__in=ancestor_paths(unit.path)))
        info.supervisors = list(
            User.objects.filter(unit__in=ancestors, role=Role.SUPERVISOR, is_active=True).values_list("pk", flat=True)
        )
        info.group_ids = [unit_supervisors_group(a).pk for a in ancestors]
    _assign_prosecutors(admin, pool, infos, offices, cases, rng)

    articles_by_gravity: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for a in CriminalCodeArticle.objects.filter(is_active=True):
        if a.gravity is not None:  # an article without a sanction yet has no gravity to be drawn by
            articles_by_gravity[a.gravity].append((a.pk, a.code, a.article))
    names = dict(User.objects.filter(role=Role.INVESTIGATOR, unit__in=pool).values_list("pk", "last_name"))
    # The counters exist before the workers start, so batches only ever lock existing rows.
    years = range(timezone.localdate(now).year - YEARS_BACK - 1, timezone.localdate(now).year + 1)
    RegistrationSequence.objects.bulk_create(
        [RegistrationSequence(unit=unit, year=year) for unit in pool for year in years], ignore_conflicts=True
    )
    return BulkContext(
        seed=seed,
        now=now,
        actor_id=admin.pk,
        person_base=rng.randrange(people.IIN_CAPACITY // 2),
        units=infos,
        unit_weights=[i.weight for i in infos],
        articles_by_gravity=dict(articles_by_gravity),
        act_types={
            t.code: (t.pk, t.fields, _needs_approval(t)) for t in ProceduralActType.objects.filter(is_active=True)
        },
        terms={t.form: (t.term_days, t.term_months) for t in ProceedingsTerm.objects.all()},
        perms=dict(
            Permission.objects.filter(content_type__app_label="cases", content_type__model="case").values_list(
                "codename", "pk"
            )
        ),
        names=names,
        superior_groups=_superior_groups({p for info in infos for p in info.prosecutors}),
        method=method,
    )


def _superior_groups(prosecutor_ids: set[int]) -> dict[int, list[int]]:
    """The office superiors' groups each prosecutor's cases are granted to (``access.desired_group_grants``)."""
    result = {}
    for prosecutor in User.objects.filter(pk__in=prosecutor_ids).select_related("unit"):
        assert prosecutor.unit is not None  # user_unit_unless_administrator
        offices = Unit.objects.filter(path__in=ancestor_paths(prosecutor.unit.path))
        result[prosecutor.pk] = [office_superiors_group(office).pk for office in offices]
    return result


def _spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split over ``weights``, at least one each."""
    share = [max(1, total * w // sum(weights)) for w in weights]
    share[0] += max(0, total - sum(share))
    return share


def _ensure_supervisor(admin: User, unit: Unit, *, bulk: bool) -> None:
    """A bulk unit gets its own head; a demo unit only when no head above it sees its cases."""
    heads = User.objects.filter(role=Role.SUPERVISOR, is_active=True)
    if heads.filter(unit=unit).exists():
        return
    if not bulk and heads.filter(unit__path__in=ancestor_paths(unit.path)).exists():
        return
    last, first, middle = people.names(random.Random(unit.code), "M")
    user_create(
        actor=admin,
        username=f"nach.{unit.code.lower()}",
        role=Role.SUPERVISOR,
        unit=unit,
        password=None,
        first_name=first,
        last_name=last,
        middle_name=middle,
        position=f"Начальник следственного отдела {unit.name_ru}",
    )


def _assign_prosecutors(admin, pool, infos, offices, cases, rng) -> None:
    """One prosecutor per ~500 new cases, in the prosecutor's office of each region."""
    regions = sorted({_region_code(u) for u in pool})
    weight_by_region: Counter[str] = Counter()
    for unit, info in zip(pool, infos):
        weight_by_region[_region_code(unit)] += info.weight
    counts = _spread(max(len(regions), math.ceil(cases / CASES_PER_PROSECUTOR)), [weight_by_region[r] for r in regions])
    by_region: dict[str, list[int]] = {}
    for region, count in zip(regions, counts):
        office = offices.get(region) or Unit.objects.filter(code=f"{region}P").first()
        if office is None:  # a demo region: its prosecutors sit in the demo prosecutor's office, if any
            office = Unit.objects.filter(kind=UnitKind.PROSECUTOR_OFFICE, code__startswith=region).first()
        if office is None:
            by_region[region] = []
            continue
        existing = list(
            User.objects.filter(unit=office, role=Role.PROSECUTOR, is_active=True).values_list("pk", flat=True)
        )
        by_region[region] = existing + _new_users(
            admin=admin,
            role=Role.PROSECUTOR,
            unit=office,
            prefix=f"prok.{office.code.lower()}.",
            count=count,
            rng=rng,
            position=f"Прокурор отдела {office.name_ru}",
        )
    for unit, info in zip(pool, infos):
        info.prosecutors = by_region.get(_region_code(unit), [])


# ---------------------------------------------------------------------------------------------
# One batch
# ---------------------------------------------------------------------------------------------


@dataclass
class CasePlan:
    index: int
    unit: UnitInfo
    registered_at: datetime
    articles: list[tuple[int, str, str]]
    gravity: int
    form: str
    status: str
    lead: int
    group: list[int]
    prosecutor: int | None
    supervisor: int | None
    kazakh: bool
    extension: tuple[date, int] | None = None
    interruption: tuple[date, date | None] | None = None
    case: Case | None = None  # set by _insert_cases, before any of the case's children is made

    @property
    def case_id(self) -> int:
        assert self.case is not None, "the case is inserted before its children"
        return self.case.pk


def _reg_day(plan: CasePlan) -> date:
    return timezone.localdate(plan.registered_at)


def _plan_case(ctx: BulkContext, rng: random.Random, index: int) -> CasePlan:
    unit = rng.choices(ctx.units, weights=ctx.unit_weights)[0]
    registered_at = ctx.now - timedelta(seconds=rng.randint(3600, YEARS_BACK * 365 * 86400))
    gravities = list(GRAVITY_WEIGHTS)
    chosen = [rng.choices(gravities, weights=list(GRAVITY_WEIGHTS.values()))[0]]
    if rng.random() < 0.2:
        chosen.append(rng.choice(gravities[:3]))
    articles = list({a[0]: a for a in (rng.choice(ctx.articles_by_gravity[g]) for g in chosen)}.values())
    gravity = max(chosen)
    age = (ctx.now - registered_at).days
    status = _status_for_age(rng, age)
    lead = rng.choice(unit.investigators)
    group = []
    if len(unit.investigators) > 1 and rng.random() < 0.12:
        member = rng.choice(unit.investigators)
        group = [member] if member != lead else []
    prosecutor = (
        rng.choice(unit.prosecutors)
        if unit.prosecutors and (rng.random() < 0.85 or status == CaseStatus.SENT_TO_PROSECUTOR)
        else None
    )
    if status == CaseStatus.SENT_TO_PROSECUTOR and prosecutor is None:
        status = CaseStatus.INVESTIGATING
    grave = gravity >= Gravity.GRAVE
    supervisor = rng.choice(unit.supervisors) if unit.supervisors and (grave or rng.random() < 0.05) else None
    plan = CasePlan(
        index=index,
        unit=unit,
        registered_at=registered_at,
        articles=articles,
        gravity=gravity,
        form=rng.choice(FORMS_BY_GRAVITY[gravity]),
        status=status,
        lead=lead,
        group=group,
        prosecutor=prosecutor,
        supervisor=supervisor,
        kazakh=rng.random() < 0.15,
    )
    reg_day, today = _reg_day(plan), timezone.localdate(ctx.now)
    if status == CaseStatus.INTERRUPTED:
        plan.interruption = (min(reg_day + timedelta(days=rng.randint(5, 40)), today), None)
    elif status != CaseStatus.REGISTERED and age > 30 and rng.random() < 0.05:
        start = reg_day + timedelta(days=rng.randint(5, 20))
        plan.interruption = (start, min(start + timedelta(days=rng.randint(3, 30)), today))
    if prosecutor and status not in (CaseStatus.REGISTERED,) and age > 20 and rng.random() < 0.12:
        plan.extension = (min(reg_day + timedelta(days=rng.randint(9, 55)), today), rng.choice((10, 15, 30, 60)))
    return plan


def _status_for_age(rng: random.Random, age: int) -> str:
    if age < 2:
        return rng.choice((CaseStatus.REGISTERED, CaseStatus.INVESTIGATING))
    if age < 30:
        return rng.choices(
            (CaseStatus.INVESTIGATING, CaseStatus.INTERRUPTED, CaseStatus.SENT_TO_PROSECUTOR), weights=(85, 5, 10)
        )[0]
    return rng.choices(
        (CaseStatus.INVESTIGATING, CaseStatus.INTERRUPTED, CaseStatus.SENT_TO_PROSECUTOR, CaseStatus.TERMINATED),
        weights=(25, 15, 40, 20),
    )[0]


def _deadline(ctx: BulkContext, plan: CasePlan) -> date | None:
    days, months = ctx.terms.get(plan.form, (None, None))
    if days is None and months is None:
        return None
    periods = [Period(*plan.interruption)] if plan.interruption else []
    extensions = [plan.extension[1]] if plan.extension else []
    return compute_deadline(
        start=_reg_day(plan), term_days=days, term_months=months, extension_days=extensions, interruptions=periods
    )


def _allocate_numbers(plans: list[CasePlan], units_by_id: dict[int, Unit]) -> list[str]:
    """Take a block of registration numbers per (unit, year) in a short transaction of its own."""
    needed = Counter((p.unit.id, timezone.localdate(p.registered_at).year) for p in plans)
    first: dict[tuple[int, int], int] = {}
    with transaction.atomic():
        # In key order, like the locks below: concurrent batches then queue instead of deadlocking.
        RegistrationSequence.objects.bulk_create(
            [RegistrationSequence(unit_id=u, year=y) for (u, y) in sorted(needed)], ignore_conflicts=True
        )
        for (unit_id, year), count in sorted(needed.items()):
            sequence = RegistrationSequence.objects.select_for_update().get(unit_id=unit_id, year=year)
            first[(unit_id, year)] = sequence.last + 1
            sequence.last += count
            sequence.save(update_fields=["last"])
    numbers = []
    for plan in plans:
        key = (plan.unit.id, timezone.localdate(plan.registered_at).year)
        numbers.append(format_registration_number(unit=units_by_id[plan.unit.id], year=key[1], seq=first[key]))
        first[key] += 1
    return numbers


_factories: dict[type[Model], sinks.Factory[Any]] = {}


def _new(model: type[M]) -> sinks.Factory[M]:
    factory = _factories.get(model)
    if factory is None:
        factory = _factories[model] = sinks.Factory(model)
    return factory


_stubs: dict[int, User] = {}


def _user(user_id: int) -> User:
    """A User carrying only its pk: simple-history stores the id, no need to load the row."""
    stub = _stubs.get(user_id)
    if stub is None:
        if len(_stubs) > 50_000:
            _stubs.clear()
        stub = _stubs[user_id] = User(pk=user_id)
    return stub


def _attributed(obj: M, user_id: int, when: datetime) -> M:
    """What simple-history reads from a saved instance; the sinks read the same keys from ``__dict__``."""
    obj.__dict__.update(_history_user=_user(user_id), _history_date=when, _change_reason=REASON)
    return obj


def run_batch(ctx: BulkContext, batch_no: int, first_index: int, count: int) -> Counter:
    """Generate and insert ``count`` cases (global indexes from ``first_index``); return rows written."""
    rng = random.Random(f"{ctx.seed}:{batch_no}")
    plans = [_plan_case(ctx, rng, first_index + i) for i in range(count)]
    units_by_id = Unit.objects.in_bulk([u.id for u in ctx.units])
    numbers = _allocate_numbers(plans, units_by_id)
    rows: Counter = Counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the seed is repeatable: no need to wait for the WAL flush
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                if ctx.defer_fk_checks:  # checked once per foreign key after the load (integrity.py)
                    cursor.execute("SET LOCAL session_replication_role = replica")
        sink = sinks.sink_for(ctx.method, actor=_user(ctx.actor_id), reason=REASON, rows=rows)
        _insert_cases(ctx, rng, plans, numbers, sink)
        participants = _insert_people(ctx, rng, plans, sink)
        evidence = _insert_evidence(ctx, rng, plans, participants, sink)
        _insert_acts(ctx, rng, plans, participants, evidence, sink)
        _insert_grants(ctx, plans, sink)
        _insert_status_log(ctx, plans, sink)
    return rows


def _insert_cases(ctx, rng, plans, numbers, sink) -> None:
    cases = []
    for plan, number in zip(plans, numbers):
        main = plan.articles[0][2]
        case = _new(Case)(
            registration_number=number,
            registered_at=plan.registered_at,
            event_date=texts.event_day(_reg_day(plan), rng, 20),
            gravity=plan.gravity,
            proceedings_form=plan.form,
            status=plan.status,
            unit_id=plan.unit.id,
            region_unit_id=plan.unit.region_id,
            district_unit_id=plan.unit.district_id,
            lead_investigator_id=plan.lead,
            prosecutor_id=plan.prosecutor,
            supervisor_id=plan.supervisor,
            plot=texts.plot(rng, article=main, city=plan.unit.city, kazakh=plan.kazakh),
            deadline=_deadline(ctx, plan),
            created_by_id=plan.lead,
        )
        plan.case = _attributed(case, plan.lead, plan.registered_at)
        cases.append(case)
    history = sink.insert(Case, cases, want_history_ids=True)
    sink.link(Case, "articles", [(p.case_id, a[0]) for p in plans for a in p.articles], history)
    sink.link(Case, "group", [(p.case_id, u) for p in plans for u in p.group], history)
    today = timezone.localdate(ctx.now)
    interruptions, extensions = [], []
    for plan in plans:
        if plan.interruption:
            start, end = plan.interruption
            interruption = _new(Interruption)(
                case_id=plan.case_id,
                started_on=start,
                ended_on=end,
                ground=rng.choice(INTERRUPTION_GROUNDS),
                reason="Все следственные действия выполнены",
                resume_reason="Основания прерывания отпали" if end else "",
            )
            interruptions.append(_attributed(interruption, plan.lead, _at(start, 17, ctx)))
        if plan.extension:
            granted_on, days = plan.extension
            extension = _new(DeadlineExtension)(
                case_id=plan.case_id,
                days=days,
                granted_by_id=plan.prosecutor,
                granted_on=min(granted_on, today),
                reason="Необходимо завершить экспертизы",
            )
            # The prosecutor's decision, entered in the file by a supervisor of the unit.
            recorder = plan.supervisor or (plan.unit.supervisors[0] if plan.unit.supervisors else plan.lead)
            extensions.append(_attributed(extension, recorder, _at(granted_on, 12, ctx)))
    sink.insert(Interruption, interruptions)
    sink.insert(DeadlineExtension, extensions)


def _at(day: date, hour: int, ctx: BulkContext) -> datetime:
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, hour))
    return min(moment, ctx.now)


_ROLE_SLOTS = ((R.VICTIM, 0.75), (R.SUSPECT, 0.6), (R.WITNESS, 0.4), (R.DEFENCE_COUNSEL, 0.0))


def _insert_people(ctx, rng, plans, sink) -> dict[int, dict[str, list[Participant]]]:
    """Persons as each case records them (a repeat offender is a new record in the new case) and their roles;
    case pk -> role -> participants."""
    wanted: list[tuple[CasePlan, R, people.PersonFacts]] = []
    pool = _reuse_pool.setdefault(ctx.seed, [])
    for plan in plans:
        roles = [role for role, share in _ROLE_SLOTS if rng.random() < share]
        if R.SUSPECT in roles and rng.random() < 0.25:
            roles.append(R.DEFENCE_COUNSEL)
        if not roles:
            roles = [R.VICTIM]
        for slot, role in enumerate(r for r, _ in _ROLE_SLOTS):
            if role not in roles:
                continue
            if role == R.SUSPECT and pool and rng.random() < 0.08:  # a repeat offender
                wanted.append((plan, role, rng.choice(pool)))
                continue
            index = (ctx.person_base + plan.index * NEW_PERSONS_PER_CASE + slot) % people.IIN_CAPACITY
            wanted.append((plan, role, people.person_for_index(index, rng, plan.unit.city)))
    # One record per case and IIN (cases.models.Person): the same IIN in another case is another row.
    keys = {(plan.case_id, fact.iin) for plan, _role, fact in wanted}
    known = {
        (case_id, iin): pk
        for case_id, iin, pk in Person.objects.filter(
            case_id__in={case_id for case_id, _ in keys}, iin__in={iin for _, iin in keys}
        ).values_list("case_id", "iin", "pk")
    }
    new_people = {}
    for plan, _role, fact in wanted:
        key = (plan.case_id, fact.iin)
        if key not in known and key not in new_people:
            person = _new(Person)(
                case_id=plan.case_id,
                iin=fact.iin,
                last_name=fact.last_name,
                first_name=fact.first_name,
                middle_name=fact.middle_name,
                birth_date=fact.birth_date,
                sex=fact.sex,
                address=fact.address,
                phone=fact.phone,
            )
            person.refresh_search_name()  # bulk writes bypass Person.save()
            new_people[key] = _attributed(person, plan.lead, plan.registered_at)
    sink.insert(Person, list(new_people.values()))
    known.update({key: p.pk for key, p in new_people.items()})
    participants = []
    by_case: dict[int, dict[str, list[Participant]]] = defaultdict(lambda: defaultdict(list))
    seen = set()
    for plan, role, fact in wanted:
        person_id = known[(plan.case_id, fact.iin)]
        if (plan.case_id, person_id, role) in seen:
            continue
        seen.add((plan.case_id, person_id, role))
        since = _reg_day(plan) + timedelta(days=0 if role != R.WITNESS else rng.randint(0, 3))
        since = min(since, timezone.localdate(ctx.now))
        participant = _new(Participant)(case_id=plan.case_id, person_id=person_id, role=role, role_since=since)
        participants.append(_attributed(participant, plan.lead, plan.registered_at))
        by_case[plan.case_id][role].append(participant)
        if role == R.SUSPECT and len(pool) < REUSE_POOL:
            pool.append(fact)
        elif role == R.SUSPECT:
            pool[rng.randrange(REUSE_POOL)] = fact
    sink.insert(Participant, participants)
    return by_case


_reuse_pool: dict[int, list[people.PersonFacts]] = {}  # per process: suspects who may reappear in a later case


def _insert_evidence(ctx, rng, plans, participants, sink) -> dict[int, list[int]]:
    from evidence.models import CustodyEvent, EvidenceItem

    items, owners = [], []
    for plan in plans:
        n_items = rng.choices((0, 1, 2), weights=(35, 50, 15))[0]
        suspects = participants[plan.case_id].get(R.SUSPECT, [])
        for number in range(1, n_items + 1):
            kind, description = rng.choice(texts.EVIDENCE_DESCRIPTIONS)
            seized_at = min(plan.registered_at + timedelta(hours=rng.randint(1, 72)), ctx.now)
            source = suspects[0] if suspects and rng.random() < 0.5 else None
            item = _new(EvidenceItem)(
                case_id=plan.case_id,
                number=number,
                kind=kind,
                description=description.format(n=rng.randrange(10**12)),
                seized_at=seized_at,
                seized_place=f"г. {plan.unit.city}",
                seized_from_id=source.pk if source else None,
                seized_from_text="" if source else "Изъято при осмотре места происшествия",
                storage_location=rng.choice(texts.STORAGE),
                seal_number=f"ОП-{rng.randrange(10000, 99999)}",
            )
            items.append(_attributed(item, plan.lead, seized_at))
            owners.append(plan)
    sink.insert(EvidenceItem, items)
    events, by_case = [], defaultdict(list)
    for item, plan in zip(items, owners):
        by_case[plan.case_id].append(item.pk)
        event = _new(CustodyEvent)(
            item_id=item.pk,
            occurred_at=min(item.seized_at + timedelta(hours=2), ctx.now),
            from_holder=f"Следователь {ctx.names.get(plan.lead, '')}".strip(),
            to_holder="Камера хранения вещественных доказательств",
            from_location="",
            to_location=item.storage_location,
            reason="Сдан на хранение после осмотра",
            recorded_by_id=plan.lead,
        )
        events.append(_attributed(event, plan.lead, event.occurred_at))
    sink.insert(CustodyEvent, events)
    return by_case


# No approved or signed acts in bulk: each signing step queues a signature of the PDF
# (cases/services/act_rendering.py), which only the workflow does. An "approved" row without
# its signatures would be an act the sweep never seals. The demo world signs through the
# workflow, and its worker signs those. A bulk "submitted" act (awaiting approval) carries its
# author's signature on the row but not on a PDF: its approval renders the PDF first (the path of
# acts submitted before issue #17), which is what the benchmarks' approval queue needs.
_ACT_STATUSES = (ActStatus.DRAFT, ActStatus.SUBMITTED, ActStatus.RETURNED)


def _needs_approval(act_type) -> bool:
    requirement = ActRequirement.objects.in_force(act_type.pk)
    return requirement is not None and requirement.needs_approval


def _acts_for(plan: CasePlan, roles: dict, rng: random.Random) -> list[str]:
    codes = []
    if roles.get(R.VICTIM):
        codes.append("victim_recognition")
        if rng.random() < 0.5:
            codes.append("interrogation_victim")
    if roles.get(R.SUSPECT) and plan.gravity > Gravity.MISDEMEANOUR and rng.random() < 0.4:
        codes.append("suspect_recognition")
    if plan.gravity == Gravity.MISDEMEANOUR and roles.get(R.SUSPECT):
        codes.append("misdemeanour_protocol")
    if not codes or rng.random() < 0.2:
        codes.append("scene_inspection")
    return codes


def _insert_acts(ctx, rng, plans, participants, evidence, sink) -> None:
    acts, links = [], []
    for plan in plans:
        roles = {role: [p.pk for p in ps] for role, ps in participants[plan.case_id].items()}
        number = 0
        for code in _acts_for(plan, roles, rng):
            if code not in ctx.act_types:
                continue
            type_id, specs, requires_approval = ctx.act_types[code]
            when = min(plan.registered_at + timedelta(hours=rng.randint(2, 96)), ctx.now)
            city = f"г. {plan.unit.city}"
            values, named = texts.act_fields(
                specs,
                rng,
                texts.ActContext(
                    place=city,
                    when=timezone.localtime(when),
                    kazakh=plan.kazakh,
                    participants=roles,
                    evidence_ids=evidence.get(plan.case_id, []),
                    article_codes=[a[1] for a in plan.articles],
                ),
            )
            if texts.missing_required(specs, values):
                continue  # e.g. an act that names evidence in a case without any
            approvers = [plan.supervisor] if plan.gravity >= Gravity.GRAVE else plan.unit.supervisors
            # Only an act someone could have returned may be "returned".
            statuses = _ACT_STATUSES if requires_approval and any(approvers) else _ACT_STATUSES[:2]
            status = rng.choice(statuses)
            number += 1
            act = _new(ProceduralAct)(
                case_id=plan.case_id,
                act_type_id=type_id,
                number=number,
                author_id=plan.lead,
                language="kk" if plan.kazakh else "ru",
                place=city,
                fields=values,
                status=status,
                **(
                    {"signed_by_id": plan.lead, "signed_at": when, "content_version": 1}
                    if status == ActStatus.SUBMITTED
                    else {}
                ),
            )
            acts.append(_attributed(act, plan.lead, when))
            links.append(named)
    history = sink.insert(ProceduralAct, acts, want_history_ids=True)
    sink.link(ProceduralAct, "participants", [(a.pk, p) for a, named in zip(acts, links) for p in named], history)


def _insert_grants(ctx, plans, sink) -> None:
    """Exactly the rows cases.access.sync_grants would create for each case."""
    perm = {action: ctx.perms[access.codename(action)] for action in access.CODENAMES}
    investigator = [perm[a] for a in access.INVESTIGATOR_ACTIONS]
    prosecutor = [perm[a] for a in access.PROSECUTOR_ACTIONS]
    supervisor = [perm[a] for a in access.SUPERVISOR_ACTIONS]
    users, groups = [], []
    for plan in plans:
        wanted: set[tuple[int, int]] = set()  # (user id, permission id)
        for user_id in {plan.lead, *plan.group}:
            wanted.update((user_id, p) for p in investigator)
        if plan.prosecutor:
            wanted.update((plan.prosecutor, p) for p in prosecutor)
        if plan.supervisor:
            wanted.update((plan.supervisor, p) for p in supervisor)
        users += [(plan.case_id, user_id, p) for user_id, p in sorted(wanted)]
        if plan.gravity < Gravity.GRAVE:
            groups += [(plan.case_id, group_id, p) for group_id in plan.unit.group_ids for p in supervisor]
        if plan.prosecutor:  # the superiors of the prosecutor's office, grave cases too
            groups += [(plan.case_id, g, p) for g in ctx.superior_groups[plan.prosecutor] for p in prosecutor]
    sink.insert_plain(CaseUserObjectPermission, ("content_object_id", "user_id", "permission_id"), users)
    sink.insert_plain(CaseGroupObjectPermission, ("content_object_id", "group_id", "permission_id"), groups)


STATUS_LOG_COLUMNS = (
    "case_id",
    "unit_id",
    "action",
    "from_status",
    "to_status",
    "gravity",
    "on_date",
    "actor_id",
    "at",
)


def _status_changes(plan: CasePlan, today: date):
    """(action, from, to, day) of the status changes the services would have logged on the way to
    the plan's status: registration, acceptance, the plan's interruption (and its resumption), then
    the final decision a month after registration (after the resumption, never after today)."""
    reg_day = _reg_day(plan)
    yield "register", "", S.REGISTERED, reg_day
    if plan.status == S.REGISTERED:
        return
    yield CaseAction.START, S.REGISTERED, S.INVESTIGATING, reg_day
    last = reg_day
    if plan.interruption:
        start, end = plan.interruption
        yield CaseAction.INTERRUPT, S.INVESTIGATING, S.INTERRUPTED, start
        if end:
            yield CaseAction.RESUME, S.INTERRUPTED, S.INVESTIGATING, end
        last = end or start
    final: dict[str, str] = {S.SENT_TO_PROSECUTOR: CaseAction.SEND_TO_PROSECUTOR, S.TERMINATED: CaseAction.TERMINATE}
    if plan.status in final:
        yield final[plan.status], S.INVESTIGATING, plan.status, min(max(last, reg_day + timedelta(days=30)), today)


def _insert_status_log(ctx, plans, sink) -> None:
    today = timezone.localdate(ctx.now)
    rows = [
        (plan.case_id, plan.unit.id, action, before, after, plan.gravity, day, plan.lead, _at(day, 11, ctx))
        for plan in plans
        for action, before, after, day in _status_changes(plan, today)
    ]
    sink.insert_plain(CaseStatusChange, STATUS_LOG_COLUMNS, rows)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

_worker_ctx: BulkContext | None = None


def _worker(task: tuple[int, int, int]) -> tuple[int, Counter]:
    batch_no, first, count = task
    assert _worker_ctx is not None, "seed_bulk sets the context before the pool forks"
    return count, run_batch(_worker_ctx, batch_no, first, count)


WRITTEN_MODELS = (
    Case,
    Interruption,
    DeadlineExtension,
    Person,
    Participant,
    ProceduralAct,
    CaseUserObjectPermission,
    CaseGroupObjectPermission,
    CaseStatusChange,
)


def _written_models() -> list:
    from evidence.models import CustodyEvent, EvidenceItem

    return [*WRITTEN_MODELS, EvidenceItem, CustodyEvent]


def seed_bulk(
    *,
    cases: int,
    batch_size: int = 1000,
    workers: int = 1,
    seed: int | None = None,
    method: str = "auto",
    defer_fk_checks: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BulkResult:
    """Add ``cases`` bulk cases to a database that already holds the demo world.

    ``defer_fk_checks`` (PostgreSQL, superuser): insert without the per-row foreign-key triggers
    and check every foreign key of the new rows afterwards; a dangling reference raises.
    """
    global _worker_ctx
    started = time.monotonic()
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    if defer_fk_checks and not integrity.is_superuser():
        raise PermissionError("deferring foreign-key checks needs a PostgreSQL superuser (session_replication_role)")
    marks = integrity.high_water_marks(_written_models()) if defer_fk_checks else {}
    with transaction.atomic():
        ctx = build_context(cases=cases, seed=seed, now=timezone.now(), method=method)
    ctx.defer_fk_checks = defer_fk_checks
    setup = time.monotonic() - started
    # Global case indexes continue after the cases already present, so IIN blocks differ per run too.
    offset = Case.objects.count()
    tasks = [(n, offset + start, min(batch_size, cases - start)) for n, start in enumerate(range(0, cases, batch_size))]
    rows: Counter = Counter()
    done, last_report = 0, time.monotonic()
    if workers > 1:
        _worker_ctx = ctx
        connections.close_all()  # each forked worker opens its own connection
        with multiprocessing.get_context("fork").Pool(workers) as workers_pool:
            for count, batch_rows in workers_pool.imap_unordered(_worker, tasks):
                done += count
                rows.update(batch_rows)
                last_report = _report(progress, done, cases, started, last_report)
    else:
        for batch_no, first, count in tasks:
            rows.update(run_batch(ctx, batch_no, first, count))
            done += count
            last_report = _report(progress, done, cases, started, last_report)
    result = BulkResult(
        cases=cases,
        seconds=time.monotonic() - started,
        rows=rows,
        setup_seconds=setup,
        workers=workers,
        method=sinks.resolve(method),
    )
    if defer_fk_checks:
        checking = time.monotonic()
        result.fk_checked, problems = integrity.verify_foreign_keys(marks)
        result.fk_seconds = time.monotonic() - checking
        result.seconds = time.monotonic() - started
        if problems:
            raise RuntimeError("bulk load left dangling references:\n" + "\n".join(problems))
    return result


def _report(progress, done: int, total: int, started: float, last: float) -> float:
    now = time.monotonic()
    if progress and (now - last > 30 or done == total):
        progress(f"  {done}/{total} cases, {done / (now - started):.0f} cases/s")
        return now
    return last
