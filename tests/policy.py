"""Who may reach which route: the table the URL × role sweep (tests/test_access_sweep.py) enforces.

Every named route of the project must have an entry; a new view without one fails the suite.
``obj`` names the object in the URL (a case, or something that belongs to one); ``allowed`` are
the roles that get through on their own case. In-scope roles that are not allowed get 403,
everyone outside the case's scope 404, the anonymous visitor the login page.

"superior" is a superior prosecutor of the office of the case's prosecutor (issue #17): in scope
through the office's group, holding what the case's prosecutor holds (``PROSECUTORS``) except the
export, which stays with the people the case names (cases/access/rules.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("anonymous", "outsider", "colleague", "investigator", "supervisor", "prosecutor", "superior", "admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
IN_SCOPE = frozenset({"investigator", "supervisor", "prosecutor", "superior"})
READERS = IN_SCOPE
# The case's prosecutor and the superior prosecutor of their office: the prosecutor's decisions.
PROSECUTORS = frozenset({"prosecutor", "superior"})
REGISTRARS = frozenset({"outsider", "colleague", "investigator", "supervisor"})


@dataclass(frozen=True)
class Route:
    # case, participant, act (a draft), submitted (awaiting approval), awaiting (the prosecutor's
    # agreement), sanctioned (signed, needing a judge's sanction), recorded (its judge's decision
    # on record, with the scan), item, file — or None
    obj: str | None = None
    method: str = "GET"
    allowed: frozenset = frozenset()
    data: Callable | None = None  # POST data builder: data(world) -> dict
    ok: int = 200  # status for an allowed role
    overrides: dict = field(default_factory=dict)  # role -> status, where the rule above does not fit
    public: bool = False  # no login needed
    url: Callable | None = None  # url(world, own) -> str, for routes the sweep cannot reverse by obj


def _case_edit(w):
    return {
        "version": w.case.version,
        "proceedings_form": w.case.proceedings_form,  # as the form shows it: a grave case may not run as an inquiry
        "plot": "Уточнённая фабула.",
        "reason": "Уточнение",
    }


def _assign(w):
    return {
        "lead_investigator": w.people["investigator"].pk,
        "prosecutor": w.people["prosecutor"].pk,
        "reason": "Распределение",
    }


def _participant(w):
    return {
        "role": "witness",
        "last_name": "Серікбаев",
        "first_name": "Арман",
        "birth_date": "1990-05-17",
        "sex": "M",
        "iin": w.new_iin(),
    }


def _register(w):
    # A head of unit names the lead investigator; an investigator's form has no such field (they lead).
    return {
        "articles": [w.article.pk],
        "proceedings_form": "inquiry",
        "plot": "Тайно похитил велосипед.",
        "lead_investigator": w.people["investigator"].pk,
    }


def _password_change(w):
    from tests.factories import PASSWORD

    return {"old_password": PASSWORD, "new_password1": w.NEW_PASSWORD, "new_password2": w.NEW_PASSWORD}


def _evidence(w):
    return {
        "kind": "physical",
        "description": "Нож",
        "seized_at": datetime(2026, 1, 5, 10, 0).isoformat(),
        "seized_place": "ул. Абая, 1",
        "status": "seized",
    }


def _sanction(w):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tests.evidence.helpers import pdf_bytes

    return {
        "granted": "yes",
        "judge": "Ким А.",
        "court": "Следственный суд г. Астаны",
        "decided_on": timezone.localdate().isoformat(),
        "scan": SimpleUploadedFile("decision.pdf", pdf_bytes("court"), content_type="application/pdf"),
    }


def _upload_url(w, own: bool) -> str:
    from django.urls import reverse

    from evidence.services import resumable_start

    item = w.objects[own]["item"]
    author = w.people["investigator" if own else "outsider"]
    upload = resumable_start(item_id=item.pk, actor=author, name="video.mp4", length=1000)
    return reverse("evidence:resumable", args=[upload.pk])


POLICY: dict[str, Route] = {
    "home": Route(allowed=SIGNED_IN, overrides={"admin": 302}),  # to the administration workspace
    "healthz": Route(public=True),
    "login": Route(public=True, overrides=dict.fromkeys(SIGNED_IN, 302)),
    # A wrong password for somebody's account: the form again, nothing of that account changes.
    "login#post": Route(
        method="POST",
        public=True,
        overrides=dict.fromkeys(SIGNED_IN, 302),
        data=lambda w: {"username": "investigator", "password": "not-the-password"},
    ),
    "logout": Route(method="POST", public=True, ok=302, overrides={"anonymous": 302}),
    "accounts:otp-setup": Route(allowed=SIGNED_IN, ok=404),  # everyone in the sweep is enrolled already
    "accounts:otp-setup#post": Route(method="POST", allowed=SIGNED_IN, ok=404, data=lambda w: {"token": "123456"}),
    "accounts:otp-verify": Route(allowed=SIGNED_IN),
    # A wrong code: the form again (200), one refusal in the audit trail, the user's own throttle counter up.
    "accounts:otp-verify#post": Route(method="POST", allowed=SIGNED_IN, data=lambda w: {"token": "000000"}),
    "accounts:reauthenticate": Route(allowed=SIGNED_IN),
    "accounts:reauthenticate#post": Route(
        method="POST", allowed=SIGNED_IN, data=lambda w: {"password": "not-the-password", "token": "000000"}
    ),
    "accounts:sessions": Route(allowed=SIGNED_IN),
    # Ending a session: the form names the investigator's other session. Only he ends it; for anyone
    # else the key is unknown (back to the list, 302) and the session lives on (the sweep checks it).
    "accounts:sessions#post": Route(
        method="POST", allowed=SIGNED_IN, ok=302, data=lambda w: {"session_key": w.investigators_other_session}
    ),
    # Public: the login and verification pages switch language too (a cookie until there is a profile).
    "accounts:language": Route(method="POST", public=True, ok=302, data=lambda w: {"language": "kk"}),
    "accounts:password-change": Route(allowed=SIGNED_IN),
    # One's own password only: the form has no field that names a user.
    "accounts:password-change#post": Route(method="POST", allowed=SIGNED_IN, ok=302, data=_password_change),
    "cases:list": Route(allowed=SIGNED_IN),
    "cases:register": Route(allowed=REGISTRARS),
    "cases:register#post": Route(method="POST", allowed=REGISTRARS, ok=302, data=_register),
    "cases:detail": Route(obj="case", allowed=READERS),
    "cases:edit": Route(obj="case", allowed=frozenset({"investigator"})),
    "cases:edit#post": Route(obj="case", method="POST", allowed=frozenset({"investigator"}), data=_case_edit, ok=302),
    # Requalification is a decree (issue #18): the address leads its drafter to drafting it, changing nothing.
    "cases:requalify": Route(obj="case", allowed=frozenset({"investigator"}), ok=302),
    "cases:requalify#post": Route(obj="case", method="POST", allowed=frozenset({"investigator"}), ok=302),
    "cases:assign": Route(obj="case", allowed=frozenset({"supervisor"})),
    "cases:assign#post": Route(obj="case", method="POST", allowed=frozenset({"supervisor"}), data=_assign, ok=302),
    "cases:transition": Route(
        obj="case", method="POST", allowed=frozenset({"investigator"}), data=lambda w: {"action": "start"}, ok=302
    ),
    # The prosecutor (or their office's superior) extends the term as themself (issue #17).
    "cases:extend": Route(obj="case", allowed=PROSECUTORS),
    "cases:extend#post": Route(
        obj="case",
        method="POST",
        allowed=PROSECUTORS,
        data=lambda w: {"days": 10, "reason": "Экспертиза"},
        ok=302,
    ),
    "cases:access-log": Route(obj="case", allowed=frozenset({"supervisor"}) | PROSECUTORS),
    # Open to everyone signed in, but it lists only the cases whose log the user may read.
    "cases:access-log-all": Route(allowed=SIGNED_IN),
    # Counts over the cases each reader may list; an administrator reads no case data, counted or not.
    "cases:statistics": Route(allowed=SIGNED_IN - {"admin"}),
    # The search boxes of forms (cases/choosers.py): only the roles that have the form.
    "cases:prosecutor-options": Route(allowed=frozenset({"outsider", "colleague", "investigator", "supervisor"})),
    "cases:investigator-options": Route(allowed=frozenset({"supervisor"})),
    "cases:article-options": Route(allowed=frozenset({"outsider", "colleague", "investigator", "supervisor"})),
    "cases:participant-add": Route(obj="case", allowed=frozenset({"investigator"})),
    "cases:participant-add#post": Route(
        obj="case", method="POST", allowed=frozenset({"investigator"}), data=_participant, ok=302
    ),
    "cases:participant-withdraw": Route(
        obj="participant",
        method="POST",
        allowed=frozenset({"investigator"}),
        data=lambda w: {"reason": "Ошибочно"},
        ok=302,
    ),
    "cases:act-create": Route(obj="case", allowed=frozenset({"investigator"})),
    "cases:act-create#post": Route(
        obj="case",
        method="POST",
        allowed=frozenset({"investigator"}),
        ok=302,
        data=lambda w: {"act_type": w.act_type.pk, "language": "ru", "place": "Астана"},
    ),
    "cases:act": Route(obj="act", allowed=READERS),
    "cases:act-edit": Route(obj="act", allowed=frozenset({"investigator"})),
    "cases:act-edit#post": Route(
        obj="act",
        method="POST",
        allowed=frozenset({"investigator"}),
        ok=302,
        data=lambda w: {"version": w.act.version, "language": "kk", "place": "Астана"},
    ),
    # The author signs their draft.
    "cases:act-transition": Route(
        obj="act", method="POST", allowed=frozenset({"investigator"}), ok=302, data=lambda w: {"action": "sign"}
    ),
    # The decisions, each on an act awaiting it (issue #17). Without a re-authentication in the sweep's
    # sessions, the one whose decision it is is sent to confirm first (302); anyone else is refused (403)
    # before being asked for a password. ``test_only_the_cases_prosecutor_agrees_or_refuses`` takes
    # the prosecutor's decisions re-authenticated, to the end.
    "cases:act-transition#approve": Route(
        obj="submitted", method="POST", allowed=frozenset({"supervisor"}), ok=302, data=lambda w: {"action": "approve"}
    ),
    "cases:act-transition#agree": Route(
        obj="awaiting", method="POST", allowed=PROSECUTORS, ok=302, data=lambda w: {"action": "agree"}
    ),
    "cases:act-transition#refuse": Route(
        obj="awaiting",
        method="POST",
        allowed=PROSECUTORS,
        ok=302,
        data=lambda w: {"action": "refuse", "reason": "Не согласен"},
    ),
    # The review reads like the case; whose decision it is, is the workflow's answer.
    "cases:act-review": Route(obj="act", allowed=READERS),
    "cases:act-review#post": Route(
        obj="submitted", method="POST", allowed=frozenset({"supervisor"}), ok=302, data=lambda w: {"action": "approve"}
    ),
    "cases:act-review#agree": Route(
        obj="awaiting", method="POST", allowed=PROSECUTORS, ok=302, data=lambda w: {"action": "agree"}
    ),
    "cases:act-review#refuse": Route(
        obj="awaiting",
        method="POST",
        allowed=PROSECUTORS,
        ok=302,
        data=lambda w: {"action": "refuse", "reason": "Не согласен"},
    ),
    # The judge's decision on a signed act that needs it, recorded by those who work on the case.
    "cases:act-sanction": Route(obj="sanctioned", allowed=frozenset({"investigator"})),
    "cases:act-sanction#post": Route(
        obj="sanctioned", method="POST", allowed=frozenset({"investigator"}), ok=302, data=_sanction
    ),
    # The scan of the court's decision reads like the act's PDF: everyone who may read the case.
    "cases:act-sanction-scan": Route(obj="recorded", allowed=READERS),
    "cases:extension-request": Route(obj="case", allowed=frozenset({"investigator"})),
    "cases:extension-request#post": Route(
        obj="case",
        method="POST",
        allowed=frozenset({"investigator"}),
        ok=302,
        data=lambda w: {
            "days": 30,
            "reasons": "Экспертиза",
            "planned_actions": "Допрос",
            "addressee": "district_prosecutor",
            "language": "ru",
            "place": "Астана",
        },
    ),
    "evidence:add": Route(obj="case", allowed=frozenset({"investigator"})),
    "evidence:add#post": Route(obj="case", method="POST", allowed=frozenset({"investigator"}), data=_evidence, ok=302),
    "evidence:detail": Route(obj="item", allowed=READERS),
    "evidence:withdraw": Route(
        obj="item", method="POST", allowed=frozenset({"investigator"}), ok=302, data=lambda w: {"reason": "Ошибочно"}
    ),
    "evidence:upload": Route(
        obj="item", method="POST", allowed=frozenset({"investigator"}), ok=302, data=lambda w: {"file": w.upload()}
    ),
    # A resumable upload (tus) is created by the case's investigator: the sweep's plain form POST lacks the
    # Tus-Resumable header, so the allowed role gets 412 and nothing is created.
    "evidence:resumable-create": Route(obj="item", method="POST", allowed=frozenset({"investigator"}), ok=412),
    # An upload answers only the user who started it (the author of the item's case here).
    "evidence:resumable": Route(
        obj="item", allowed=frozenset({"investigator"}), url=lambda w, own: _upload_url(w, own)
    ),
    # Its PATCH (bytes) and DELETE (cancel) without the Tus-Resumable header: 412 for the one who started it,
    # and nothing changes; to anyone else the upload does not exist.
    "evidence:resumable#patch": Route(
        obj="item", method="PATCH", allowed=frozenset({"investigator"}), ok=412, url=lambda w, own: _upload_url(w, own)
    ),
    "evidence:resumable#delete": Route(
        obj="item", method="DELETE", allowed=frozenset({"investigator"}), ok=412, url=lambda w, own: _upload_url(w, own)
    ),
    "evidence:transfer": Route(
        obj="item",
        method="POST",
        allowed=frozenset({"investigator"}),
        ok=302,
        data=lambda w: {"to_holder": "Камера хранения", "reason": "На хранение"},
    ),
    "evidence:download": Route(obj="file", allowed=READERS),
    "evidence:file-withdraw": Route(
        obj="file", method="POST", allowed=frozenset({"investigator"}), ok=302, data=lambda w: {"reason": "Ошибочно"}
    ),
}

# Routes of later features keep their entries in their own modules, merged here.
from tests import policy_api, policy_audit, policy_manage, policy_signing  # noqa: E402

for _extra in (policy_signing.POLICY, policy_api.POLICY, policy_audit.POLICY, policy_manage.POLICY):
    assert not set(_extra) & set(POLICY), f"duplicate policy entries: {set(_extra) & set(POLICY)}"
    POLICY.update(_extra)
