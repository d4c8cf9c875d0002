"""Every status and category of the cases app, in one place (EXAMPLES §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gravity(models.IntegerChoices):
    """Categories of criminal offences (Criminal Code of the RK, arts. 10-11), ordered by gravity."""

    MISDEMEANOUR = 1, _("Criminal misdemeanour")
    SMALL = 2, _("Crime of small gravity")
    MEDIUM = 3, _("Crime of medium gravity")
    GRAVE = 4, _("Grave crime")
    ESPECIALLY_GRAVE = 5, _("Especially grave crime")


class Intent(models.TextChoices):
    INTENTIONAL = "intentional", _("Intentional")
    NEGLIGENT = "negligent", _("Negligent")


class ProceedingsForm(models.TextChoices):
    """Forms of pre-trial proceedings (CPC RK)."""

    PROTOCOL = "protocol", _("Protocol form (misdemeanour)")
    EXPEDITED = "expedited", _("Expedited pre-trial investigation")
    INQUIRY = "inquiry", _("Inquiry")
    INVESTIGATION = "investigation", _("Preliminary investigation")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    INVESTIGATING = "investigating", _("Under investigation")
    INTERRUPTED = "interrupted", _("Interrupted")
    SENT_TO_PROSECUTOR = "sent_to_prosecutor", _("Completed: sent to prosecutor")
    TERMINATED = "terminated", _("Completed: terminated")
    SENT_TO_COURT = "sent_to_court", _("Sent to court")


class CaseAction(models.TextChoices):
    START = "start", _("Accept for investigation")
    INTERRUPT = "interrupt", _("Interrupt the term")
    RESUME = "resume", _("Resume")
    SEND_TO_PROSECUTOR = "send_to_prosecutor", _("Send to prosecutor")
    TERMINATE = "terminate", _("Terminate")
    RETURN = "return", _("Return for additional investigation")
    REOPEN = "reopen", _("Cancel termination")
    SEND_TO_COURT = "send_to_court", _("Send to court")


class ParticipantRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    ACCUSED = "accused", _("Accused")
    VICTIM = "victim", _("Victim")
    WITNESS = "witness", _("Witness")
    DEFENDED_WITNESS = "defended_witness", _("Witness with the right to defence")
    DEFENCE_COUNSEL = "defence_counsel", _("Defence counsel")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    CIVIL_PLAINTIFF = "civil_plaintiff", _("Civil plaintiff")
    CIVIL_DEFENDANT = "civil_defendant", _("Civil defendant")
    EXPERT = "expert", _("Expert")
    SPECIALIST = "specialist", _("Specialist")
    INTERPRETER = "interpreter", _("Interpreter")
    ATTESTING_WITNESS = "attesting_witness", _("Attesting witness")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Language(models.TextChoices):
    KAZAKH = "kk", "Қазақша"
    RUSSIAN = "ru", "Русский"


class ActKind(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    PROTOCOL = "protocol", _("Protocol")
    INDICTMENT = "indictment", _("Indictment")
    NOTICE = "notice", _("Notice")
    # The supervising prosecutor's own decisions (issue #17): drawn up and signed by the prosecutor,
    # created only by the decision services (cases/services/decisions.py), never by a drafting form.
    PROSECUTOR_DECISION = "prosecutor", _("Prosecutor's decision")
    OTHER = "other", _("Other")


class ActStatus(models.TextChoices):
    """Where an act stands in the steps its requirements call for (cases/act_requirements.py).

    Whether it is in force is never stored: it is derived (``ProceduralAct.in_force``). ``approved``
    is the state in which every decision is taken and the workers are appending the last signatures;
    their last step seals it as ``signed``.
    """

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Signed by the author: awaiting approval")
    AWAITING_AGREEMENT = "awaiting_agreement", _("Awaiting the prosecutor's agreement")
    APPROVED = "approved", _("Decided: signatures being applied")
    RETURNED = "returned", _("Returned for rework")
    REFUSED = "refused", _("Refused by the prosecutor")
    SIGNED = "signed", _("Signed")


class RenderingState(models.TextChoices):
    """Where the PDF of an approved act version stands (issue #5); the act page shows it."""

    QUEUED = "queued", _("Queued for rendering")
    RENDERING = "rendering", _("Rendering and signing")
    SIGNED = "signed", _("Signed")
    FAILED = "failed", _("Failed")
