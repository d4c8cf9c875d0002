"""The default demo world, written through the services so history and audit rows are the real ones.

Units: Astana (region) with the Yesil district below it, Zhambyl region with the Taraz city
department below it, and the Astana prosecutor's office. Eight users, the city's prosecutor (the
office's superior prosecutor) among them (passwords random per run,
returned to the caller to print once). A dozen cases in both cities, each taken through a short
story: assignment, transitions, a term extension, participants (one person in two cases: a record
in each case, linked as one person by someone who sees both),
acts in several statuses, evidence items with files and custody hand-overs.
"""

from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User
from accounts.services import user_create
from cases.act_transitions import ActAction
from cases.choices import CaseAction
from cases.choices import ParticipantRole as R
from cases.choices import ProceedingsForm as F
from cases.effects import DECREE_ROLES
from cases.models import Case, CriminalCodeArticle, Participant, ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from cases.services.case import case_assign, case_transition
from cases.services.certificates import certificate_issue
from cases.services.participants import participant_add, person_link
from cases.services.registration import case_register
from cases.services.term import deadline_extend
from ecase.history import attribute

from . import files, people, texts

ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class UnitSpec:
    code: str
    parent: str | None
    name_ru: str
    name_kk: str
    kind: str
    city: str


UNITS = (
    UnitSpec("71", None, "ДП г. Астаны", "Астана қаласының ПД", UnitKind.REGION, "Астана"),
    UnitSpec(
        "7112", "71", "УП Есильского района г. Астаны", "Астана қ. Есіл ауданының ПБ", UnitKind.DISTRICT, "Астана"
    ),
    UnitSpec("31", None, "ДП Жамбылской области", "Жамбыл облысының ПД", UnitKind.REGION, "Тараз"),
    UnitSpec("3110", "31", "УП г. Тараза", "Тараз қаласының ПБ", UnitKind.CITY, "Тараз"),
    UnitSpec(
        "71P", None, "Прокуратура г. Астаны", "Астана қаласының прокуратурасы", UnitKind.PROSECUTOR_OFFICE, "Астана"
    ),
)


@dataclass(frozen=True)
class UserSpec:
    username: str
    role: str
    unit: str | None
    last_name: str
    first_name: str
    middle_name: str
    position: str
    language: str = "ru"
    superior: bool = False  # a superior prosecutor of the office (head or deputy)


# The positions in Kazakh (the demo's own rendering; not checked by a Kazakh-speaking officer).
POSITIONS_KK = {
    "Главный специалист управления информационных технологий": "Ақпараттық технологиялар басқармасының бас маманы",
    "Следователь СУ ДП г. Астаны": "Астана қ. ПД ТБ тергеушісі",
    "Дознаватель ОД УП Есильского района г. Астаны": "Астана қ. Есіл ауданы ПБ АБ анықтаушысы",
    "Следователь СО УП г. Тараза": "Тараз қ. ПБ ТБ тергеушісі",
    "Начальник СУ ДП г. Астаны": "Астана қ. ПД ТБ бастығы",
    "Начальник СО УП г. Тараза": "Тараз қ. ПБ ТБ бастығы",
    "Прокурор отдела по надзору за досудебным расследованием прокуратуры г. Астаны": "Астана қ. прокуратурасының сотқа дейінгі тергеп-тексеруді қадағалау бөлімінің прокуроры",
    "Заместитель прокурора г. Астаны": "Астана қаласы прокурорының орынбасары",
}


USERS = (
    UserSpec(
        ADMIN_USERNAME,
        Role.ADMINISTRATOR,
        None,
        "Бекмұхамедов",
        "Ержан",
        "Серікұлы",
        "Главный специалист управления информационных технологий",
    ),
    UserSpec(
        "investigator.astana", Role.INVESTIGATOR, "71", "Ахметов", "Нұрлан", "Қанатұлы", "Следователь СУ ДП г. Астаны"
    ),
    UserSpec(
        "investigator2.astana",
        Role.INVESTIGATOR,
        "7112",
        "Жұмабекова",
        "Айгүл",
        "Серікқызы",
        "Дознаватель ОД УП Есильского района г. Астаны",
    ),
    UserSpec(
        "investigator.taraz",
        Role.INVESTIGATOR,
        "3110",
        "Қасымов",
        "Дәурен",
        "Мұратұлы",
        "Следователь СО УП г. Тараза",
        "kk",
    ),
    UserSpec("supervisor.astana", Role.SUPERVISOR, "71", "Серікова", "Әсем", "Болатқызы", "Начальник СУ ДП г. Астаны"),
    UserSpec(
        "supervisor.taraz", Role.SUPERVISOR, "3110", "Оспанов", "Бауыржан", "Ерланұлы", "Начальник СО УП г. Тараза"
    ),
    UserSpec(
        "prosecutor.astana",
        Role.PROSECUTOR,
        "71P",
        "Төлегенов",
        "Арман",
        "Нұрланұлы",
        "Прокурор отдела по надзору за досудебным расследованием прокуратуры г. Астаны",
    ),
    # The deputy city prosecutor: decides on every case the office supervises (issue #17 item 3).
    UserSpec(
        "superior.astana",
        Role.PROSECUTOR,
        "71P",
        "Жақсыбеков",
        "Ерлан",
        "Маратұлы",
        "Заместитель прокурора г. Астаны",
        superior=True,
    ),
)


@dataclass
class ActPlan:
    type_code: str
    status: str  # draft | submitted | approved | returned | revised (returned, then back to draft)
    overrides: dict = field(default_factory=dict)  # field name -> participant key or value
    kazakh: bool = False


@dataclass
class EvidencePlan:
    kind: str
    description: str
    seized_from: str | None = None  # participant key
    files: tuple[str, ...] = ()  # "png", "pdf", "txt"
    transfers: tuple[tuple[str, str, str], ...] = ()  # (to holder, to location, reason)


@dataclass
class CasePlan:
    unit: str
    lead: str
    articles: tuple[str, ...]
    form: str
    days_ago: int
    plot_article: str
    kazakh: bool = False
    prosecutor: bool = True
    supervisor: str | None = None  # explicitly assigned (a grave case is hidden from the unit's supervisors)
    group: tuple[str, ...] = ()  # assigned afterwards by the supervisor (case_assign)
    participants: tuple[tuple[str, str], ...] = ()  # (key, role); a key names one person across cases
    evidence: tuple[EvidencePlan, ...] = ()
    acts: tuple[ActPlan, ...] = ()
    story: tuple[str, ...] = ("start",)  # start, interrupt, resume, extend, send_to_prosecutor, terminate


E = EvidencePlan
A = ActPlan
PHONE = "Мобильный телефон Samsung Galaxy A54 в корпусе чёрного цвета, IMEI 356789104512345"
CASES: tuple[CasePlan, ...] = (
    CasePlan(
        "7112",
        "investigator2.astana",
        ("188-1",),
        F.INQUIRY,
        45,
        "188",
        participants=(("aigerim", R.VICTIM), ("serik", R.SUSPECT), ("marat", R.WITNESS)),
        evidence=(
            E(
                "physical",
                PHONE,
                "serik",
                ("png", "txt"),
                (
                    (
                        "Камера хранения УП Есильского района",
                        "Камера хранения, ячейка 14",
                        "Сдан на хранение после осмотра",
                    ),
                ),
            ),
        ),
        acts=(
            A("victim_recognition", "approved"),
            A("interrogation_victim", "submitted"),
            A("interrogation_witness", "draft", {"interrogated": "marat"}),
        ),
    ),
    CasePlan(
        "71",
        "investigator.astana",
        ("190-2",),
        F.INVESTIGATION,
        58,
        "190",
        group=("investigator2.astana",),
        participants=(("gulnar", R.VICTIM), ("gulnar", R.CIVIL_PLAINTIFF), ("unknown_caller", R.SUSPECT)),
        evidence=(
            E("document", "Выписка по банковскому счёту потерпевшей за период мошеннических операций", None, ("pdf",)),
        ),
        acts=(
            A("civil_plaintiff_recognition", "revised"),
            A("term_interruption", "approved"),
            A("term_resumption", "approved"),
        ),
        story=("start", "interrupt", "resume", "extend"),
    ),
    CasePlan(
        "7112",
        "investigator2.astana",
        ("109-1-1",),
        F.PROTOCOL,
        10,
        "109-1",
        kazakh=True,
        participants=(("zhanar", R.VICTIM), ("erbol", R.SUSPECT)),
        acts=(A("misdemeanour_protocol", "returned", kazakh=True),),
    ),
    CasePlan(
        "71",
        "investigator.astana",
        ("192-2",),
        F.INVESTIGATION,
        30,
        "192",
        supervisor="supervisor.astana",
        participants=(("serik", R.SUSPECT), ("timur", R.VICTIM), ("lawyer", R.DEFENCE_COUNSEL)),
        evidence=(
            E(
                "physical",
                "Нож кухонный с деревянной рукоятью, длина клинка 18 см",
                "serik",
                ("png",),
                (
                    (
                        "Эксперт ЭКО ДП г. Астаны",
                        "Экспертно-криминалистический отдел ДП г. Астаны",
                        "Направлен на трасологическую экспертизу",
                    ),
                ),
            ),
        ),
        acts=(
            A("interrogation_suspect", "submitted", {"interrogated": "serik"}),
            A("preventive_measure_request", "approved"),
            A("qualification", "submitted"),
        ),
    ),
    CasePlan(
        "7112",
        "investigator2.astana",
        ("345-2",),
        F.EXPEDITED,
        25,
        "345",
        participants=(("dana", R.VICTIM), ("viktor", R.SUSPECT), ("olga", R.WITNESS)),
        evidence=(E("digital", "Видеозапись с камеры видеорегистратора, файл с описанием", "olga", ("txt",)),),
        acts=(A("scene_inspection", "submitted"), A("indictment", "approved")),
        story=("start", "send_to_prosecutor"),
    ),
    CasePlan(
        "71",
        "investigator.astana",
        ("297-1",),
        F.INVESTIGATION,
        15,
        "297",
        supervisor="supervisor.astana",
        participants=(("ruslan", R.SUSPECT), ("witness_a", R.ATTESTING_WITNESS), ("witness_b", R.ATTESTING_WITNESS)),
        evidence=(
            E(
                "physical",
                "Свёрток из полимерного материала с веществом растительного происхождения",
                "ruslan",
                ("png", "pdf"),
                (
                    (
                        "Эксперт ЭКО ДП г. Астаны",
                        "Экспертно-криминалистический отдел ДП г. Астаны",
                        "Направлен на экспертизу наркотических средств",
                    ),
                    ("Следователь Ахметов Н.К.", "Камера хранения ДП г. Астаны", "Возвращён после экспертизы"),
                ),
            ),
        ),
        acts=(A("search", "submitted", {"owner": "ruslan"}), A("expertise_appointment", "approved")),
    ),
    CasePlan(
        "71",
        "investigator.astana",
        ("99-1",),
        F.INVESTIGATION,
        5,
        "99",
        kazakh=True,
        supervisor="supervisor.astana",
        group=("investigator2.astana",),
        participants=(("madina", R.LEGAL_REPRESENTATIVE), ("marat", R.WITNESS)),
        acts=(A("scene_inspection", "draft", kazakh=True),),
    ),
    CasePlan(
        "7112",
        "investigator2.astana",
        ("205-1",),
        F.PROTOCOL,
        50,
        "205",
        participants=(("laura", R.VICTIM), ("olzhas", R.SUSPECT)),
        acts=(A("case_termination", "approved"),),
        story=("start", "terminate"),
    ),
    CasePlan(
        "71",
        "investigator.astana",
        ("245-1",),
        F.INVESTIGATION,
        35,
        "245",
        participants=(("accountant", R.WITNESS),),
        evidence=(E("document", "Налоговая отчётность ТОО за 2025 год", None, ("pdf",)),),
        acts=(A("expertise_appointment", "draft"),),
    ),
    CasePlan(
        "3110",
        "investigator.taraz",
        ("188-2",),
        F.INQUIRY,
        40,
        "188",
        prosecutor=False,
        participants=(("ainur", R.VICTIM), ("daniyar", R.SUSPECT), ("bolat", R.WITNESS)),
        evidence=(
            E(
                "physical",
                "Ноутбук Lenovo IdeaPad в корпусе серого цвета",
                "daniyar",
                ("png", "txt"),
                (("Камера хранения УП г. Тараза", "Камера хранения, ячейка 3", "Сдан на хранение"),),
            ),
        ),
        acts=(A("victim_recognition", "approved"), A("interrogation_witness", "submitted", {"interrogated": "bolat"})),
    ),
    CasePlan(
        "3110",
        "investigator.taraz",
        ("293-1",),
        F.PROTOCOL,
        8,
        "293",
        kazakh=True,
        prosecutor=False,
        participants=(("zhandos", R.SUSPECT), ("cafe_owner", R.VICTIM)),
        acts=(A("misdemeanour_protocol", "approved", kazakh=True),),
    ),
    CasePlan(
        "3110",
        "investigator.taraz",
        ("190-1",),
        F.EXPEDITED,
        20,
        "190",
        # The interruption is agreed by the prosecutor (УПК РК art. 45 part 8): the case has one (issue #18).
        participants=(("saule", R.VICTIM),),
        acts=(A("term_interruption", "submitted"),),
        story=("start", "interrupt"),
    ),
    CasePlan(
        "3110",
        "investigator.taraz",
        ("106-1",),
        F.INVESTIGATION,
        12,
        "106",
        prosecutor=False,
        supervisor="supervisor.taraz",
        participants=(("askhat", R.VICTIM), ("igor", R.SUSPECT), ("lawyer_taraz", R.DEFENCE_COUNSEL)),
        evidence=(E("physical", "Нож складной с пластиковой рукоятью чёрного цвета", "igor", ("png",)),),
        acts=(A("interrogation_suspect", "draft", {"interrogated": "igor"}),),
    ),
)

# One real person, many cases: each key is one person (the same IIN wherever the key is used). Each
# case records them on its own; link_shared_persons() then states that the records are one person.
PERSONS = {
    "aigerim": ("F", 1991),
    "serik": ("M", 1987),
    "marat": ("M", 1979),
    "gulnar": ("F", 1962),
    "unknown_caller": ("M", 1995),
    "zhanar": ("F", 1984),
    "erbol": ("M", 1990),
    "timur": ("M", 2001),
    "lawyer": ("F", 1975),
    "dana": ("F", 1998),
    "viktor": ("M", 1969),
    "olga": ("F", 1988),
    "ruslan": ("M", 1996),
    "witness_a": ("M", 1980),
    "witness_b": ("F", 1983),
    "madina": ("F", 1958),
    "laura": ("F", 2000),
    "olzhas": ("M", 1999),
    "accountant": ("F", 1972),
    "ainur": ("F", 1993),
    "daniyar": ("M", 1997),
    "bolat": ("M", 1966),
    "zhandos": ("M", 2002),
    "cafe_owner": ("M", 1970),
    "saule": ("F", 1955),
    "askhat": ("M", 1985),
    "igor": ("M", 1989),
    "lawyer_taraz": ("M", 1971),
}
CLOSING_REASONS = {
    "interrupt": "Подозреваемый скрылся, объявлен в розыск",
    "resume": "Подозреваемый задержан, необходимо выполнить следственные действия с его участием",
    "extend": "Необходимо получить заключение судебно-экономической экспертизы",
    "terminate": "Стороны примирились, ущерб возмещён",
}
# The legal ground recorded with the steps that need one (interruption: art. 45, termination: art. 35).
CLOSING_GROUNDS = {"interrupt": "suspect_hiding", "terminate": "reconciliation"}


@dataclass
class SeedReport:
    passwords: list[tuple[str, str, str, str]]  # username, role, unit, password
    cases: list[Case]


def demo_present() -> bool:
    return User.objects.filter(username=ADMIN_USERNAME).exists()


# The history reason of the rows the demo writes without a service (units, the administrator's flags).
DEMO_REASON = "Демонстрационные данные (seed_demo)"


def _password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters


def create_units(admin: User) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for spec in UNITS:
        unit = Unit.objects.filter(code=spec.code).first()
        if unit is None:
            unit = Unit(
                code=spec.code,
                parent=units.get(spec.parent) if spec.parent else None,
                name_ru=spec.name_ru,
                name_kk=spec.name_kk,
                kind=spec.kind,
                city=spec.city,
            )
            unit.full_clean(exclude=["path"])
            attribute(unit, actor=admin, reason=DEMO_REASON)
            unit.save()
        units[spec.code] = unit
    return units


def create_users() -> tuple[dict[str, User], dict[str, Unit], list[tuple[str, str, str, str]]]:
    table = []
    admin_spec = USERS[0]
    password = _password()
    admin = user_create(
        actor=None,
        username=admin_spec.username,
        role=admin_spec.role,
        unit=None,
        password=password,
        first_name=admin_spec.first_name,
        last_name=admin_spec.last_name,
        middle_name=admin_spec.middle_name,
        position=admin_spec.position,
        position_kk=POSITIONS_KK.get(admin_spec.position, ""),
    )
    admin.is_superuser = admin.is_staff = True
    attribute(admin, actor=admin, reason=DEMO_REASON)
    admin.save(update_fields=["is_superuser", "is_staff"])
    table.append((admin.username, admin.role, "—", password))
    units = create_units(admin)
    users = {admin.username: admin}
    for spec in USERS[1:]:
        password = _password()
        unit = units[spec.unit] if spec.unit else None
        users[spec.username] = user_create(
            actor=admin,
            username=spec.username,
            role=spec.role,
            unit=unit,
            password=password,
            first_name=spec.first_name,
            last_name=spec.last_name,
            middle_name=spec.middle_name,
            position=spec.position,
            position_kk=POSITIONS_KK.get(spec.position, ""),
            language=spec.language,
            email=f"{spec.username}@ecase.example.kz",
            superior_prosecutor=spec.superior,
        )
        table.append((spec.username, spec.role, unit.code if unit else "—", password))
    return users, units, table


SUPERVISOR_OF_UNIT = {"71": "supervisor.astana", "7112": "supervisor.astana", "3110": "supervisor.taraz"}
PROSECUTOR = "prosecutor.astana"


def act_plan_steps(act, status: str, *, has_prosecutor: bool) -> list[str]:
    """The steps that bring a demo act to ``status``, as its requirements have them (issue #17).

    "submitted": signed by its author; "approved": every decision taken (a prosecutor's agreement
    only where the case has a prosecutor); "returned": sent back by the first decision-maker;
    "revised": and revised into a draft again.
    """
    requirement = act.requirements()
    decisions = [(ActAction.APPROVE, ActAction.RETURN)] * requirement.needs_approval
    if has_prosecutor:
        decisions += [(ActAction.AGREE, ActAction.REFUSE)] * requirement.needs_agreement
    if status == "draft":
        return []
    if status == "submitted" or (status in ("returned", "revised") and not decisions):
        return [ActAction.SIGN]
    if status == "approved":
        return [ActAction.SIGN, *(decide for decide, _ in decisions)]
    return [ActAction.SIGN, decisions[0][1], *([ActAction.REVISE] if status == "revised" else [])]


RETURN_REASON = "Уточните описание обстоятельств и приложите сведения о размере ущерба"
FILE_NAMES = {"png": "фото_{n}.png", "pdf": "заключение_{n}.pdf", "txt": "пояснение_{n}.txt"}


def _article(code: str) -> CriminalCodeArticle:
    """The article for its code as CriminalCodeArticle.code spells it: "188-1", "109-1-1"."""
    number, part = code.rsplit("-", 1)
    return CriminalCodeArticle.objects.get(article=number, part=int(part))


def _person_data(key: str, city: str) -> dict:
    sex, year = PERSONS[key]
    rng = random.Random(f"ecase-demo-person:{key}")  # the same key gives the same person (and IIN) in every case
    born = datetime(year, rng.randint(1, 12), rng.randint(1, 28)).date()
    return people.person(rng, born=born, sex=sex, city=city, serial=rng.randrange(10000)).as_person_data()


def _file_bytes(kind: str, *, n: int, case: Case, description: str) -> bytes:
    if kind == "png":
        return files.png_bytes(seed=n)
    lines = [
        f"Уголовное дело № {case.registration_number}",
        description,
        "Документ создан демонстрационным наполнением ecase (seed_demo).",
    ]
    if kind == "pdf":
        return files.pdf_bytes("Заключение эксперта (демонстрационный документ)", lines)
    return files.txt_bytes(lines)


class CaseBuilder:
    """Takes one CasePlan through the services in the order an investigator would."""

    def __init__(
        self,
        plan: CasePlan,
        *,
        users: dict[str, User],
        units: dict[str, Unit],
        rng: random.Random,
        now: datetime,
        file_counter,
    ):
        self.plan, self.users, self.rng, self.now = plan, users, rng, now
        self.unit = units[plan.unit]
        self.lead = users[plan.lead]
        self.boss = users[plan.supervisor or SUPERVISOR_OF_UNIT[plan.unit]]
        self.prosecutor = users[PROSECUTOR] if plan.prosecutor else None
        self.file_counter = file_counter
        local_now = timezone.localtime(now)
        self.registered_at = (local_now - timedelta(days=plan.days_ago)).replace(
            hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0, microsecond=0
        )
        self.reg_day = self.registered_at.date()
        self.participants: dict[str, Participant] = {}
        self.by_role: dict[str, list[int]] = {}
        self.evidence_ids: list[int] = []

    def day(self, offset: int):
        return min(self.reg_day + timedelta(days=offset), timezone.localdate(self.now))

    def moment(self, offset_days: int, hour: int) -> datetime:
        moment = timezone.make_aware(datetime.combine(self.day(offset_days), time(hour, self.rng.randint(0, 59))))
        return min(moment, self.now - timedelta(minutes=5))

    def build(self) -> Case:
        plan = self.plan
        plot = texts.plot(self.rng, article=plan.plot_article, city=self.unit.city, kazakh=plan.kazakh)
        self.case = case_register(
            actor=self.lead,
            unit=self.unit,
            articles=[_article(c) for c in plan.articles],
            proceedings_form=plan.form,
            plot=plot,
            registered_at=self.registered_at,
            event_date=texts.event_day(self.reg_day, self.rng, 10),
            lead_investigator=self.lead,
            prosecutor=self.prosecutor,
            supervisor=self.users[plan.supervisor] if plan.supervisor else None,
        )
        if plan.group:
            self.case = case_assign(
                case_id=self.case.pk,
                actor=self.boss,
                lead_investigator=self.lead,
                group=[self.users[u] for u in plan.group],
                prosecutor=self.case.prosecutor,
                supervisor=self.case.supervisor,
                reason="Создана следственно-оперативная группа",
            )
        if "start" in plan.story:
            case_transition(case_id=self.case.pk, action=CaseAction.START, actor=self.lead)
        for offset, (key, role) in enumerate(plan.participants):
            self.add_participant(key, role, offset)
        for evidence in plan.evidence:
            self.add_evidence(evidence)
        for act in plan.acts:
            self.add_act(act)
        for step in plan.story:
            self.apply(step)
        return Case.objects.get(pk=self.case.pk)

    def add_participant(self, key: str, role: str, offset: int) -> None:
        # A suspect is a person recognised by a decree in force, or detained (УПК РК art. 64 part 1; issue #18):
        # added as a witness, then the decree (agreed where the case has a prosecutor) makes them a suspect.
        by_decree = role in DECREE_ROLES
        participant = participant_add(
            case_id=self.case.pk,
            actor=self.lead,
            role=R.WITNESS if by_decree else role,
            person_data=_person_data(key, self.unit.city),
            role_since=self.day(offset % 3),
            reason="Установлен в ходе расследования",
        )
        if by_decree and self.prosecutor is not None:
            self.decree("suspect_recognition", person=participant.pk)
        elif by_decree:
            self.decree("detention_protocol", detained=participant.pk)
        self.participants[key] = participant
        self.by_role.setdefault(role, []).append(participant.pk)

    def decree(self, type_code: str, **overrides) -> None:
        """An act of ``type_code`` brought into force now: drafted, signed, approved and agreed as its
        requirements say, and its signatures rendered here by the worker's own task, so that its
        effects (cases/services/effects.py) shape the demo case as they would in use."""
        from cases.choices import RenderingState
        from cases.tasks import render_act

        act_type = ProceduralActType.objects.get(code=type_code)
        ctx = texts.ActContext(
            place=f"г. {self.unit.city}",
            when=self.moment(1, 10),
            kazakh=False,
            participants=self.by_role,
            evidence_ids=self.evidence_ids,
            article_codes=list(self.plan.articles),
            overrides=overrides,
            all_fields=False,
        )
        values, named = texts.act_fields(act_type.fields, self.rng, ctx)
        act = act_create(
            case_id=self.case.pk,
            actor=self.lead,
            act_type=act_type,
            language="ru",
            place=ctx.place,
            fields=values,
            participant_ids=named,
            body="Демонстрационный текст акта.",
        )
        for action in act_plan_steps(act, "approved", has_prosecutor=self.prosecutor is not None):
            deciders: dict[str, User | None] = {ActAction.APPROVE: self.boss, ActAction.AGREE: self.prosecutor}
            actor = deciders.get(action, self.lead)
            assert actor is not None  # act_plan_steps asks the prosecutor only where the case has one
            act_transition(act_id=act.pk, action=action, actor=actor)
        queued = act.renderings.filter(state=RenderingState.QUEUED).order_by("act_version", "step")
        for rendering_id in queued.values_list("pk", flat=True):
            render_act.apply(args=[rendering_id])

    def add_evidence(self, plan: EvidencePlan) -> None:
        from evidence.services import evidence_add, evidence_file_add, evidence_transfer

        seized_at = self.moment(1, 11)
        item = evidence_add(
            case_id=self.case.pk,
            actor=self.lead,
            kind=plan.kind,
            description=plan.description,
            seized_at=seized_at,
            seized_place=f"г. {self.unit.city}, {self.rng.choice(texts.PLACES.get(self.unit.city, ('',)))}",
            seized_from=self.participants.get(plan.seized_from) if plan.seized_from else None,
            seized_from_text="" if plan.seized_from else "Обнаружено при осмотре места происшествия",
            storage_location="Кабинет следователя",
            seal_number=f"ОП-{self.rng.randrange(10000, 99999)}",
        )
        self.evidence_ids.append(item.pk)
        for kind in plan.files:
            n = next(self.file_counter)
            data = _file_bytes(kind, n=n, case=self.case, description=plan.description)
            evidence_file_add(
                item_id=item.pk, actor=self.lead, stream=io.BytesIO(data), name=FILE_NAMES[kind].format(n=n)
            )
        for step, (holder, location, reason) in enumerate(plan.transfers, start=1):
            evidence_transfer(
                item_id=item.pk,
                actor=self.lead,
                to_holder=holder,
                to_location=location,
                reason=reason,
                occurred_at=max(self.moment(1 + 2 * step, 15), seized_at),
            )

    def add_act(self, plan: ActPlan) -> None:
        act_type = ProceduralActType.objects.get(code=plan.type_code)
        overrides = {k: self.participants[v].pk if v in self.participants else v for k, v in plan.overrides.items()}
        ctx = texts.ActContext(
            place=f"г. {self.unit.city}",
            when=self.moment(1, 10),
            kazakh=plan.kazakh,
            participants=self.by_role,
            evidence_ids=self.evidence_ids,
            article_codes=list(self.plan.articles),
            overrides=overrides,
            all_fields=True,
        )
        values, named = texts.act_fields(act_type.fields, self.rng, ctx)
        act = act_create(
            case_id=self.case.pk,
            actor=self.lead,
            act_type=act_type,
            language="kk" if plan.kazakh else "ru",
            place=ctx.place,
            fields=values,
            participant_ids=named,
            body="Демонстрационный текст акта." if not plan.kazakh else "Актінің демонстрациялық мәтіні.",
        )
        for action in act_plan_steps(act, plan.status, has_prosecutor=self.prosecutor is not None):
            deciders: dict[str, User | None] = {
                ActAction.APPROVE: self.boss,
                ActAction.RETURN: self.boss,
                ActAction.AGREE: self.prosecutor,
                ActAction.REFUSE: self.prosecutor,
            }
            actor = deciders.get(action, self.lead)
            assert actor is not None  # act_plan_steps asks the prosecutor only where the case has one
            reason = (
                RETURN_REASON
                if action in (ActAction.RETURN, ActAction.REFUSE)
                else ("Доработано по замечаниям" if action == ActAction.REVISE else "")
            )
            act_transition(act_id=act.pk, action=action, actor=actor, reason=reason)

    def apply(self, step: str) -> None:
        # Every status step is the effect of a decree in force (issue #18).
        span = max(self.plan.days_ago, 3)
        if step == "interrupt":
            self.decree(
                "term_interruption",
                ground=CLOSING_GROUNDS["interrupt"],
                justification=CLOSING_REASONS["interrupt"],
                interrupted_from=self.day(span // 3).isoformat(),
            )
        elif step == "resume":
            self.decree(
                "term_resumption",
                grounds=CLOSING_REASONS["resume"],
                resumed_from=self.day(2 * span // 3).isoformat(),
                interruption_act="Постановление о прерывании сроков",
            )
        elif step == "extend":
            # The supervising prosecutor's own decision (issue #17).
            deadline_extend(case_id=self.case.pk, actor=self.prosecutor, days=30, reason=CLOSING_REASONS["extend"])
        elif step == "send_to_prosecutor":
            anyone = [pid for ids in self.by_role.values() for pid in ids][:1]
            self.decree("completion_report", suspects=self.by_role.get(R.SUSPECT) or anyone)
        elif step == "terminate":
            self.decree(
                "case_termination", ground=CLOSING_GROUNDS["terminate"], justification=CLOSING_REASONS["terminate"]
            )


def seed_world(*, seed: int | None = None) -> SeedReport:
    """Create the demo world; call inside a transaction. Passwords are returned, never stored."""
    import itertools

    rng = random.Random(seed)
    now = timezone.now()
    users, units, table = create_users()
    # Everyone who signs holds a certificate before the first step (issue #17): the author signs their
    # act, the head of unit what they approve, the prosecutor what they agree to.
    for user in users.values():
        if user.role in (Role.INVESTIGATOR, Role.SUPERVISOR, Role.PROSECUTOR):
            certificate_issue(user=user, actor=users[ADMIN_USERNAME])
    counter = itertools.count(1)
    builders = [CaseBuilder(plan, users=users, units=units, rng=rng, now=now, file_counter=counter) for plan in CASES]
    cases = [builder.build() for builder in builders]
    link_shared_persons(builders, users=list(users.values()))
    return SeedReport(passwords=table, cases=cases)


def link_shared_persons(builders: list[CaseBuilder], *, users: list[User]) -> None:
    """Where one demo person takes part in several cases, link their records, as someone who sees both would."""
    records: dict[str, list[Participant]] = {}
    for builder in builders:
        for key, participant in builder.participants.items():
            records.setdefault(key, []).append(participant)
    for participants in records.values():
        first, *others = participants
        for other in others:
            case_ids = {first.case_id, other.case_id}
            actor = next(
                (
                    u
                    for u in users
                    if u.role != Role.ADMINISTRATOR
                    and Case.objects.restrict(u).filter(pk__in=case_ids).count() == len(case_ids)
                ),
                None,
            )
            if actor is not None and len(case_ids) == 2:
                person_link(
                    person_id=first.person_id,
                    other_id=other.person_id,
                    actor=actor,
                    reason="Одно и то же лицо: совпадают ИИН и анкетные данные",
                )
