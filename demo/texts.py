"""Plots, testimony, evidence descriptions and act fields for demo cases.

``act_fields`` fills the structured fields of any act type from its field specs
(cases/data/act_types.json), so the demo follows the reference data when it changes.
Value encoding assumed for the reference types: ``participant`` → a participant id,
``participants`` / ``evidence`` → lists of ids of the case's participants / evidence items,
``article`` → a list of article codes ("188-1"), ``date`` / ``datetime`` → ISO 8601 strings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Plots by the article number (without the part); {place} and {amount} are filled in.
PLOTS_RU: dict[str, tuple[str, ...]] = {
    "188": (
        "Неустановленное лицо, находясь {place}, тайно похитило из сумки потерпевшей мобильный телефон "
        "стоимостью {amount} тенге, причинив значительный ущерб.",
        "Путём свободного доступа {place} тайно похищены денежные средства в сумме {amount} тенге.",
    ),
    "190": (
        "Неустановленное лицо, представившись сотрудником банка, путём обмана завладело денежными средствами "
        "потерпевшего в сумме {amount} тенге, убедив его сообщить код из SMS-сообщения.",
        "Под предлогом продажи автомобиля через интернет-объявление получена предоплата {amount} тенге; "
        "автомобиль не передан, продавец на связь не выходит.",
    ),
    "191": ("{place} открыто похищен мобильный телефон потерпевшего стоимостью {amount} тенге.",),
    "192": (
        "{place} двое неизвестных, угрожая ножом, напали на потерпевшего и завладели его имуществом "
        "на сумму {amount} тенге.",
    ),
    "109-1": ("{place} в ходе ссоры причинены побои потерпевшему, вызвавшие физическую боль.",),
    "108-1": ("{place} в ходе конфликта на бытовой почве причинён лёгкий вред здоровью потерпевшей.",),
    "293": (
        "{place} в ночное время группа лиц грубо нарушала общественный порядок, выражалась нецензурной "
        "бранью и повредила имущество кафе.",
    ),
    "296": ("{place} при личном досмотре у задержанного обнаружен свёрток с веществом растительного происхождения.",),
    "297": (
        "{place} задержан гражданин, при котором обнаружено наркотическое средство в крупном размере, "
        "расфасованное для сбыта.",
    ),
    "345": (
        "{place} водитель автомобиля, нарушив правила проезда перекрёстка, совершил столкновение; "
        "пассажиру причинён вред здоровью.",
    ),
    "106": ("{place} в ходе ссоры потерпевшему нанесены удары ножом, причинившие тяжкий вред здоровью.",),
    "99": ("{place} обнаружен труп мужчины с признаками насильственной смерти.",),
    "366": ("Должностное лицо акимата получило взятку в сумме {amount} тенге за выдачу разрешения.",),
    "205": ("Неустановленное лицо получило неправомерный доступ к аккаунту потерпевшей в социальной сети.",),
    "245": ("ТОО уклонилось от уплаты корпоративного подоходного налога на сумму {amount} тенге.",),
}
PLOTS_KK: dict[str, tuple[str, ...]] = {
    "188": ("Белгісіз адам {place_kk} жәбірленушінің сөмкесінен құны {amount} теңге ұялы телефонды жасырын ұрлаған.",),
    "190": (
        "Белгісіз адам банк қызметкері болып таныстырып, алдау арқылы жәбірленушінің {amount} теңге ақшасын иемденген.",
    ),
    "109-1": ("{place_kk} ұрыс-керіс кезінде жәбірленушіге ұрып-соғу арқылы дене ауырсынуы келтірілген.",),
    "293": ("{place_kk} түнгі уақытта бір топ адам қоғамдық тәртіпті өрескел бұзып, кафенің мүлкін бүлдірген.",),
    "99": ("{place_kk} күш қолданып өлтірілген белгілері бар ер адамның мәйіті табылды.",),
    "192": ("{place_kk} екі белгісіз адам пышақпен қорқытып, жәбірленушінің {amount} теңге мүлкін тартып алған.",),
}
GENERIC_RU = "{place} совершено уголовное правонарушение; обстоятельства устанавливаются."
GENERIC_KK = "{place_kk} қылмыстық құқық бұзушылық жасалды; мән-жайлары анықталуда."

PLACES = {
    "Астана": (
        "в ТРЦ «Хан Шатыр»",
        "у остановки на пр. Мәңгілік Ел",
        "в подъезде дома по ул. Кенесары",
        "на парковке ТРЦ «Керуен»",
        "в кафе на ул. Достык",
    ),
    "Тараз": (
        "на центральном рынке",
        "у остановки на пр. Жамбыла",
        "во дворе дома по ул. Толе би",
        "в кафе на ул. Казыбек би",
    ),
}
PLACES_KK = {
    "Астана": ("Астана қаласындағы «Хан Шатыр» СОО-да", "Мәңгілік Ел даңғылындағы аялдамада"),
    "Тараз": ("Тараз қаласының орталық базарында", "Жамбыл даңғылындағы аялдамада"),
}

EVIDENCE_DESCRIPTIONS = (
    ("physical", "Мобильный телефон Samsung Galaxy A54 в корпусе чёрного цвета, IMEI 35{n:013d}"),
    ("physical", "Нож кухонный с деревянной рукоятью, длина клинка 18 см"),
    ("physical", "Свёрток из полимерного материала с веществом растительного происхождения"),
    ("document", "Выписка по банковскому счёту потерпевшего за период с 01 по 30 число"),
    ("document", "Договор купли-продажи транспортного средства"),
    ("digital", "Видеозапись с камеры наружного наблюдения, файл MP4"),
    ("digital", "Скриншоты переписки в мессенджере WhatsApp"),
)
STORAGE = (
    "Камера хранения вещественных доказательств УП",
    "Сейф следователя, каб. 214",
    "Специализированный склад ДП",
    "Экспертно-криминалистический отдел",
)
TESTIMONY_RU = (
    "Показал, что в указанное время находился дома, ничего подозрительного не видел и не слышал. "
    "Подробности сообщит дополнительно.",
    "Пояснил, что видел двух мужчин в тёмной одежде, которые быстро ушли в сторону остановки.",
    "Сообщила, что обнаружила пропажу телефона, когда вышла из автобуса; сумка была расстёгнута.",
)
TESTIMONY_KK = (
    "Көрсетілген уақытта үйде болғанын, күдікті ештеңе көрмегенін және естімегенін айтты.",
    "Аялдамаға қарай жылдам кеткен қараңғы киімді екі ер адамды көргенін түсіндірді.",
)


def plot(rng: random.Random, *, article: str, city: str, kazakh: bool = False) -> str:
    place = rng.choice(PLACES.get(city, PLACES["Астана"]))
    place_kk = rng.choice(PLACES_KK.get(city, PLACES_KK["Астана"]))
    table, generic = (PLOTS_KK, GENERIC_KK) if kazakh else (PLOTS_RU, GENERIC_RU)
    template = rng.choice(table.get(article, (generic,)))
    text = template.format(
        place=place, place_kk=place_kk, amount=f"{rng.randrange(20, 3000) * 1000:,}".replace(",", " ")
    )
    return text[0].upper() + text[1:]


@dataclass
class ActContext:
    """What an act's fields may refer to: the case's participants, evidence, articles, place and time."""

    place: str
    when: datetime
    kazakh: bool = False
    participants: dict[str, list[int]] = field(default_factory=dict)  # role -> participant ids
    evidence_ids: list[int] = field(default_factory=list)
    article_codes: list[str] = field(default_factory=list)
    all_fields: bool = False  # also fill the optional fields
    overrides: dict[str, object] = field(default_factory=dict)  # explicit values by field name


# Which participant role a "participant" field of a given name refers to, in order of preference.
_ROLE_HINTS = {
    "participant": ("victim", "civil_plaintiff", "witness", "suspect"),
    "interrogated": ("victim", "witness", "suspect"),
    "defence_counsel": ("defence_counsel",),
    "suspect": ("suspect", "accused"),
    "accused": ("accused", "suspect"),
    "offender": ("suspect", "accused"),
    "victim": ("victim",),
    "owner": ("suspect", "witness"),
    "holder": ("suspect", "witness", "victim"),
    "person": ("suspect", "accused"),
    "civil_defendant": ("civil_defendant", "suspect"),
    "detained": ("suspect",),
}
_TEXTS_RU = {
    "testimony": TESTIMONY_RU,
    "description": (
        "Осмотром установлено: дверь квартиры повреждений не имеет, на полу прихожей обнаружены "
        "следы обуви, изъяты на дактоплёнку.",
    ),
    "harm_description": ("Причинён имущественный вред: похищен мобильный телефон.",),
    "grounds": ("Для установления обстоятельств, имеющих значение для дела, необходимы специальные знания.",),
    "questions": ("1. Каков механизм образования следов? 2. Пригоден ли след для идентификации?",),
    "justification": ("Все возможные следственные действия в отсутствие подозреваемого выполнены.",),
    "charge": ("Подозревается в совершении уголовного правонарушения при обстоятельствах, изложенных в фабуле.",),
    "contradictions": ("Расходятся показания о времени встречи и о том, кто первым начал конфликт.",),
    "circumstances": ("В ходе ссоры на бытовой почве нанёс потерпевшему несколько ударов рукой.",),
}
_TEXTS_KK = {"testimony": TESTIMONY_KK}


def _participant_for(name: str, ctx: ActContext) -> int | None:
    for role in _ROLE_HINTS.get(name, ()) + tuple(ctx.participants):
        if ctx.participants.get(role):
            return ctx.participants[role][0]
    return None


def _value(spec: dict, rng: random.Random, ctx: ActContext):
    name, kind = spec["name"], spec.get("type", "text")
    if name in ctx.overrides:
        return ctx.overrides[name]
    if kind == "participant":
        return _participant_for(name, ctx)
    if kind == "participants":
        ids = [pid for ids in ctx.participants.values() for pid in ids]
        return sorted(set(ids))[:3] or None
    if kind == "evidence":
        return list(ctx.evidence_ids) or None
    if kind == "article":
        return list(ctx.article_codes) or None
    if kind == "choice":
        values = [c["value"] for c in spec.get("choices", [])]
        if "yes" in values:  # rights explained, liability warned: the regular case
            return "yes"
        return rng.choice(values or [None])
    if kind == "date":
        return ctx.when.date().isoformat()
    if kind == "datetime":
        offset = timedelta(hours=2) if name in ("end_time", "finished_at") else timedelta(0)
        return (ctx.when + offset).isoformat(timespec="minutes")
    if kind == "integer":
        return rng.randrange(1, 60) * 10_000 if "amount" in name else rng.randint(1, 3)
    if kind == "place":
        return ctx.place
    if kind == "person_name":
        return "Сейткали Айдар Қанатұлы"
    texts = (_TEXTS_KK if ctx.kazakh else {}).get(name) or _TEXTS_RU.get(name)
    if texts:
        return rng.choice(texts)
    return (
        "Толтырылды" if ctx.kazakh else "Заполнено"
    ) + f": {spec.get('label_kk' if ctx.kazakh else 'label_ru', name)}"


def act_fields(specs: list[dict], rng: random.Random, ctx: ActContext) -> tuple[dict, list[int]]:
    """The structured fields for an act type's ``specs`` and the participant ids they name."""
    values: dict = {}
    named: set[int] = set()
    for spec in specs:
        optional_name = spec.get("type") == "person_name" and not spec.get("required")  # e.g. no interpreter
        if not (spec.get("required") or (ctx.all_fields and not optional_name)) and spec["name"] not in ctx.overrides:
            continue
        value = _value(spec, rng, ctx)
        if value in (None, [], ""):
            continue
        values[spec["name"]] = value
        if spec.get("type") == "participant":
            named.add(value)
        elif spec.get("type") == "participants":
            named.update(value)
    return values, sorted(named)


def missing_required(specs: list[dict], values: dict) -> list[str]:
    return [s["name"] for s in specs if s.get("required") and not values.get(s["name"])]


def event_day(registered: date, rng: random.Random, max_days: int = 20) -> date:
    return registered - timedelta(days=rng.randint(0, max_days))
