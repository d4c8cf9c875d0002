"""What the law asks of each act type before it has legal effect (issue #17), as dated versions.

One row says, for one act type from one date, who must act on it and under which article of the
Code of Criminal Procedure (УПК РК): the author signs it; the persons who took part certify a
protocol; the head of the unit approves it; the procedural prosecutor agrees to it within so many
hours; an investigating judge sanctions it. An empty article means "not required". The workflow
(cases/act_transitions.py) is generated from these rows, and an act keeps the row it was signed
under, as a case keeps the article version it was qualified under (docs/ARCHITECTURE.md, "Law at
the time of the act"): a change of the law is a new row with the date it took effect, never an
edit of the old one.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActRequirementQuerySet(models.QuerySet):
    def in_force(self, act_type_id: int, on: date | None = None) -> ActRequirement | None:
        """The row that applied to ``act_type_id`` on ``on`` (today)."""
        on = on or timezone.localdate()
        return self.filter(act_type_id=act_type_id, in_force_from__lte=on).order_by("-in_force_from").first()


def prime_requirements(acts) -> None:
    """Give every act of ``acts`` not yet signed its type's requirements in force today, read in one
    query: a list of acts asks ``act.requirements()`` of each (its workflow, its steps), which would
    otherwise cost one query per unsigned act."""
    unsigned = [act for act in acts if not act.requirement_id]
    if not unsigned:
        return
    latest: dict[int, ActRequirement] = {}
    rows = ActRequirement.objects.filter(
        act_type_id__in={act.act_type_id for act in unsigned}, in_force_from__lte=timezone.localdate()
    ).order_by("act_type_id", "-in_force_from")
    for row in rows:
        latest.setdefault(row.act_type_id, row)
    for act in unsigned:
        act._requirement_in_force = latest.get(act.act_type_id)


class ActRequirement(models.Model):
    objects = ActRequirementQuerySet.as_manager()

    act_type = models.ForeignKey("cases.ProceduralActType", on_delete=models.PROTECT, related_name="requirements")
    in_force_from = models.DateField(help_text=_("The day these requirements took effect."))
    author_article = models.CharField(
        max_length=64, help_text=_("The article under which the author signs the act (УПК РК).")
    )
    certification_article = models.CharField(
        max_length=64, blank=True, help_text=_("Participants certify the protocol; empty: not required.")
    )
    approval_article = models.CharField(
        max_length=64, blank=True, help_text=_("The head of the unit approves it; empty: not required.")
    )
    agreement_article = models.CharField(
        max_length=64, blank=True, help_text=_("The procedural prosecutor agrees to it; empty: not required.")
    )
    agreement_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Hours the prosecutor has from the moment the act reaches them.")
    )
    sanction_article = models.CharField(
        max_length=64, blank=True, help_text=_("An investigating judge sanctions it; empty: not required.")
    )
    amending_law = models.CharField(max_length=200, blank=True)
    needs_verification = models.BooleanField(
        default=True, help_text=_("Set until an article or a term here is checked against the official text.")
    )
    note = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True, help_text=_("Where the text was read (URLs)."))

    class Meta:
        ordering = ["act_type", "-in_force_from"]
        constraints = [
            models.UniqueConstraint(fields=["act_type", "in_force_from"], name="act_requirement_one_per_date"),
            models.CheckConstraint(name="act_requirement_author_cited", condition=~models.Q(author_article="")),
            # A term only for an agreement, and every agreement has one.
            models.CheckConstraint(
                name="act_requirement_agreement_has_term",
                condition=models.Q(agreement_article="", agreement_hours__isnull=True)
                | (~models.Q(agreement_article="") & models.Q(agreement_hours__gt=0)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.act_type} ({self.in_force_from})"

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_article)

    @property
    def needs_agreement(self) -> bool:
        return bool(self.agreement_article)

    @property
    def needs_sanction(self) -> bool:
        return bool(self.sanction_article)

    @property
    def needs_certification(self) -> bool:
        return bool(self.certification_article)

    def shape(self) -> tuple[bool, bool]:
        """What the workflow depends on: (approval, agreement). Four shapes, four transition tables."""
        return self.needs_approval, self.needs_agreement

    def save(self, *args, **kwargs):
        # Acts were signed under this row: a change of the law is a new row (see the module docstring).
        if self.pk and type(self).objects.filter(pk=self.pk).exists():
            raise ValidationError(_("Requirements in force are never edited: add a version with its date."))
        super().save(*args, **kwargs)
