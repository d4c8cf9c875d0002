"""What the API shows of cases, participants, persons and acts, and what it accepts to change them.

Output serializers are read-only views of the models; input serializers only shape and type
the request, the services (cases/services) decide and validate as for the browser.
"""

from __future__ import annotations

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEvent
from cases.access.api import api_restrict
from ecase.api_schema import NamedChoiceField

from .. import access
from ..access.scope import allowed_actions
from ..act_fields import PREFIX, add_structured_fields, structured_values
from ..act_transitions import PERSON_ACTIONS, act_actions
from ..choices import ActStatus, CaseStatus, Gravity, Language, ProceedingsForm
from ..models import (
    ActRendering,
    Case,
    CaseArticle,
    CriminalCodeArticle,
    Participant,
    Person,
    ProceduralAct,
    ProceduralActType,
)
from ..models.requirements import prime_requirements
from ..qualification import case_qualification, reference
from ..selectors import is_overdue
from ..services.participants import linked_persons

MAX_TEXT = 20000


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name_ru = serializers.CharField()
    name_kk = serializers.CharField()


class ArticleSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="Article-part, e.g. 188-1.")

    class Meta:
        model = CriminalCodeArticle
        fields = ["id", "code", "article", "part", "title_ru", "title_kk", "gravity"]


class QualificationSerializer(serializers.ModelSerializer):
    """One part of the case's qualification with its point (пункт), and how it reads in each language."""

    code = serializers.CharField(source="article.code", read_only=True, help_text="Article-part, e.g. 190-2.")
    point = serializers.CharField(allow_null=True, help_text="The point of the part, e.g. 4; null when none.")
    reference_ru = serializers.SerializerMethodField(help_text="E.g. п. 4 ч. 2 ст. 190.")
    reference_kk = serializers.SerializerMethodField(help_text="E.g. 190-бап 2-бөлік 4-тармақ.")

    class Meta:
        model = CaseArticle
        fields = ["article", "code", "point", "reference_ru", "reference_kk"]

    def get_reference_ru(self, link: CaseArticle) -> str:
        return reference(link.article.article, link.article.part, link.point, "ru")

    def get_reference_kk(self, link: CaseArticle) -> str:
        return reference(link.article.article, link.article.part, link.point, "kk")


class CaseListSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(choices=CaseStatus.choices, enum_name="CaseStatus")
    unit = UnitRefSerializer()
    lead_investigator = UserRefSerializer()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "registration_number",
            "registered_at",
            "event_date",
            "gravity",
            "proceedings_form",
            "status",
            "unit",
            "lead_investigator",
            "deadline",
            "overdue",
            "version",
        ]

    def get_overdue(self, case: Case) -> bool:
        return is_overdue(case)


class CaseSerializer(CaseListSerializer):
    articles = ArticleSerializer(many=True)
    qualification = serializers.SerializerMethodField()
    group = UserRefSerializer(many=True)
    prosecutor = UserRefSerializer(allow_null=True)
    supervisor = UserRefSerializer(allow_null=True)

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "plot",
            "articles",
            "qualification",
            "group",
            "prosecutor",
            "supervisor",
        ]

    @extend_schema_field(QualificationSerializer(many=True))
    def get_qualification(self, case: Case) -> list[dict]:
        return list(QualificationSerializer(case_qualification(case), many=True).data)


class CaseFilterSerializer(serializers.Serializer):
    """The list's filters: the same search as the browser's case list (cases.selectors.case_list)."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Registration number, IIN, article (188, 190-1), surname, or words of the plot.",
    )
    status = NamedChoiceField(choices=CaseStatus.choices, enum_name="CaseStatus", required=False)
    gravity = serializers.ChoiceField(choices=Gravity.choices, required=False)
    investigator = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Lead investigator's user id."
    )
    overdue = serializers.BooleanField(required=False, default=False)


class CaseUpdateSerializer(serializers.Serializer):
    """A change of the case's content; unnamed fields stay as they are. The reason goes into history."""

    plot = serializers.CharField(required=False, max_length=MAX_TEXT)
    event_date = serializers.DateField(required=False, allow_null=True)
    proceedings_form = serializers.ChoiceField(choices=ProceedingsForm.choices, required=False)
    articles = serializers.PrimaryKeyRelatedField(
        queryset=CriminalCodeArticle.objects.filter(is_active=True), many=True, required=False, allow_empty=False
    )
    points = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=8),
        required=False,
        help_text='The point (пункт) of a qualified part by the part\'s id, e.g. {"190": "4"}; a new point is a '
        "requalification.",
    )
    reason = serializers.CharField(max_length=500)

    def validate_points(self, points: dict) -> dict[int, str | None]:
        try:
            return {int(key): value for key, value in points.items()}
        except ValueError:
            raise serializers.ValidationError("Keys are ids of article parts.") from None


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
            "case",
            "iin",
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "sex",
            "citizenship",
            "address",
            "phone",
        ]


class ParticipantSerializer(serializers.ModelSerializer):
    person = PersonSerializer()

    class Meta:
        model = Participant
        fields = ["id", "case", "person", "role", "role_since", "note", "withdrawn_at", "withdrawal_reason"]


class ParticipationSerializer(serializers.ModelSerializer):
    registration_number = serializers.CharField(source="case.registration_number")

    class Meta:
        model = Participant
        fields = ["id", "case", "registration_number", "role", "role_since", "withdrawn_at"]


class PersonDetailSerializer(PersonSerializer):
    participations = serializers.SerializerMethodField(
        help_text="Roles of this person and of the persons linked to them as one real person, only in the cases you may see."
    )

    class Meta(PersonSerializer.Meta):
        fields = PersonSerializer.Meta.fields + ["participations"]

    @extend_schema_field(ParticipationSerializer(many=True))
    def get_participations(self, person: Person):
        request = self.context["request"]
        same = linked_persons(person, visible=api_restrict(request, Person.objects.all(), access.VIEW))
        visible = (
            api_restrict(request, Participant.objects.all(), access.VIEW)
            .filter(person__in=same)
            .select_related("case")
            .order_by("case_id", "id")
        )
        return ParticipationSerializer(visible, many=True).data


class PersonFilterSerializer(serializers.Serializer):
    iin = serializers.RegexField(r"^[0-9]{12}$", required=False, help_text="12 digits.")


class ActTypeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProceduralActType
        fields = ["id", "code", "name_ru", "name_kk", "kind"]


class RequirementStepSerializer(serializers.Serializer):
    # A declared field leaves the class (DRF's metaclass): the serializer's own ``required`` is untouched.
    required = serializers.BooleanField()  # type: ignore[assignment]
    article = serializers.CharField(help_text="The article of УПК РК that requires the step; empty if not required.")
    done_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, required=False, help_text="The prosecutor's term (agree).")


class RequirementsSerializer(serializers.Serializer):
    sign = RequirementStepSerializer()
    approve = RequirementStepSerializer()
    agree = RequirementStepSerializer()
    sanction = RequirementStepSerializer()
    needs_verification = serializers.BooleanField(help_text="Some citation here is not yet verified.")


def requirement_steps(act: ProceduralAct, requirement) -> dict:
    sanction = getattr(act, "sanction", None)
    return {
        "sign": {"required": True, "article": requirement.author_article, "done_at": act.signed_at},
        "approve": {
            "required": requirement.needs_approval,
            "article": requirement.approval_article,
            "done_at": act.approved_at,
        },
        "agree": {
            "required": requirement.needs_agreement,
            "article": requirement.agreement_article,
            "done_at": act.agreed_at,
            "due_at": act.agreement_due_at,
        },
        "sanction": {
            "required": requirement.needs_sanction,
            "article": requirement.sanction_article,
            "done_at": sanction.recorded_at if sanction is not None and sanction.granted else None,
        },
        "needs_verification": requirement.needs_verification,
    }


class SignatureSerializer(serializers.Serializer):
    role = serializers.CharField()
    signer = UserRefSerializer(allow_null=True)
    signed_at = serializers.DateTimeField(source="finished_at", allow_null=True)
    state = serializers.CharField()


class ActListSerializer(serializers.ListSerializer):
    """A page of acts: the requirements in force of those not yet signed read at once (``prime_requirements``)."""

    def to_representation(self, data):
        acts = list(data.all() if hasattr(data, "all") else data)
        prime_requirements(acts)
        return super().to_representation(acts)


# What a list of acts reads with them, so the serializer's fields cost no query per act.
ACT_LIST_RELATED = (
    "act_type",
    "author",
    "approved_by",
    "agreed_by",
    "signed_by",
    "requirement",
    "sanction",
    "superseded_by",
)


def act_list_prefetch():
    return ("participants", Prefetch("renderings", queryset=ActRendering.objects.select_related("signer")))


class ActSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(choices=ActStatus.choices, enum_name="ActStatus")
    act_type = ActTypeRefSerializer()
    author = UserRefSerializer()
    approved_by = UserRefSerializer(allow_null=True)
    signed_by = UserRefSerializer(allow_null=True)
    # DRF's metaclass moves a declared field off the class: it does not replace Serializer.fields.
    fields = serializers.DictField(help_text="Structured fields of the act's type.")  # type: ignore[assignment]
    # many=True makes it a ManyRelatedField; the stubs give the constructor both possible results.
    participants: serializers.ManyRelatedField | serializers.RelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    actions = serializers.SerializerMethodField(help_text="Workflow actions open to you now.")
    superseded_by = serializers.SerializerMethodField(help_text="The correction that replaces this signed act.")
    agreed_by = UserRefSerializer(allow_null=True)
    in_force = serializers.BooleanField(
        read_only=True, help_text="Derived: every step the act's requirements call for is taken and signed."
    )
    requirements = serializers.SerializerMethodField(
        help_text="What the law asks of this act before it is in force: sign, approve, agree, sanction."
    )
    signatures = serializers.SerializerMethodField(help_text="The signatures on the act's PDF, in order.")

    class Meta:
        model = ProceduralAct
        list_serializer_class = ActListSerializer
        fields = [
            "id",
            "case",
            "number",
            "act_type",
            "author",
            "language",
            "place",
            "fields",
            "body",
            "participants",
            "status",
            "supersedes",
            "superseded_by",
            "in_force",
            "requirements",
            "signatures",
            "agreement_due_at",
            "approved_by",
            "approved_at",
            "agreed_by",
            "agreed_at",
            "signed_by",
            "signed_at",
            "pdf_sha256",
            "version",
            "created_at",
            "updated_at",
            "withdrawn_at",
            "withdrawal_reason",
            "actions",
        ]

    def get_actions(self, act: ProceduralAct) -> list[str]:
        # The browser's buttons; approve and return still need a re-authenticated browser session.
        # The user's rights are read once per case for a whole list (``ActListSerializer``).
        user = self.context["request"].user
        rights = self.context.setdefault("_rights_by_case", {})
        if act.case_id not in rights:
            rights[act.case_id] = allowed_actions(user, act.case_id)
        return act_actions(act, user, held=lambda: rights[act.case_id])

    @extend_schema_field(RequirementsSerializer)
    def get_requirements(self, act: ProceduralAct) -> dict | None:
        requirement = act.requirements()
        return None if requirement is None else RequirementsSerializer(requirement_steps(act, requirement)).data

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, act: ProceduralAct) -> list[dict]:
        if not act.content_version:
            return []
        if "renderings" in getattr(act, "_prefetched_objects_cache", {}):  # a list's (``act_list_prefetch``)
            rows = sorted(
                (r for r in act.renderings.all() if r.act_version == act.content_version), key=lambda r: r.step
            )
        else:
            rows = list(
                act.renderings.filter(act_version=act.content_version).select_related("signer").order_by("step")
            )
        return list(SignatureSerializer(rows, many=True).data)

    def get_superseded_by(self, act: ProceduralAct) -> int | None:
        correction = getattr(act, "superseded_by", None)  # selected with the act by a list
        return correction.pk if correction is not None else None


def structured_fields(act_type: ProceduralActType, case: Case, values: dict) -> dict:
    """Check an act's structured fields as the browser's form does; returns their stored JSON.

    Articles are named by code ("188-1"), participants and evidence items by id, dates in ISO.
    """
    unknown = set(values) - act_type.field_names()
    if unknown:
        raise serializers.ValidationError({name: [_("Unknown field for this act type.")] for name in sorted(unknown)})
    data, errors = {}, {}
    for spec in act_type.fields:
        value = values.get(spec["name"])
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if not all(_is_plain(v) for v in items):
            errors[spec["name"]] = [_("Give a text, a number or a list of them.")]
            continue
        if spec.get("type") == "article" and isinstance(value, str) and "-" in value:
            number, part = value.rsplit("-", 1)
            article = CriminalCodeArticle.objects.filter(
                article=number, part=int(part) if part.isdigit() and len(part) < 5 else -1
            ).first()
            value = article.pk if article else value
        data[PREFIX + spec["name"]] = [str(v) for v in items] if isinstance(value, list) else str(value)
    if errors:
        raise serializers.ValidationError(errors)
    form = forms.Form(data=_as_querydict(data))
    add_structured_fields(form, act_type, case)
    if not form.is_valid():
        # django-stubs leave out ErrorList's list base, which DRF reads it by.
        raise serializers.ValidationError(
            {name[len(PREFIX) :]: errors for name, errors in form.errors.items()}  # type: ignore[misc]
        )
    return structured_values(form, act_type)


def _is_plain(value) -> bool:
    # PostgreSQL's jsonb stores neither NUL nor lone surrogates: refuse them here, not with a 500.
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)


def _as_querydict(data: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


class ActWriteSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=Language.choices)
    place = serializers.CharField(max_length=200)
    # DRF's metaclass moves a declared field off the class: it does not replace Serializer.fields.
    fields = serializers.DictField(required=False, default=dict, help_text="Structured fields of the act's type.")  # type: ignore[assignment]
    body = serializers.CharField(required=False, allow_blank=True, max_length=100000, default="")
    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=200,
        help_text="Ids of this case's participants the act concerns.",
    )


class ActCreateSerializer(ActWriteSerializer):
    act_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProceduralActType.draftable(),
        help_text="Code of the act type, e.g. victim_recognition.",
    )


class ActUpdateSerializer(ActWriteSerializer):
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    place = serializers.CharField(max_length=200, required=False)
    fields = serializers.DictField(required=False, help_text="Structured fields of the act's type.")
    body = serializers.CharField(required=False, allow_blank=True, max_length=100000)
    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=200
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ActTransitionSerializer(serializers.Serializer):
    # ``seal`` is the rendering worker's step, open to no person; ``submit`` is history.
    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in PERSON_ACTIONS])
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Required to return an act and to supersede a signed one.",
    )


class AuditEventSerializer(serializers.ModelSerializer):
    # DRF's metaclass moves a declared field off the class: it does not replace Serializer.data.
    data = serializers.DictField()  # type: ignore[assignment]

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "chain",
            "seq",
            "occurred_at",
            "event",
            "outcome",
            "actor",
            "actor_label",
            "case_id",
            "target_type",
            "target_id",
            "request_id",
            "ip",
            "data",
            "prev_hash",
            "hash",
        ]
