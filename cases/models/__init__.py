"""Models of the cases app, one module per part of the domain."""

from .acts import ProceduralAct, SignedActImmutableError
from .case import (
    Case,
    CaseArticle,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    DeadlineExtension,
    Interruption,
    RegistrationSequence,
    offence_day,
)
from .effects import ActEffect
from .people import Participant, Person, PersonLink
from .reference import CriminalCodeArticle, CriminalCodeArticleVersion, ProceduralActType, ProceedingsTerm
from .requirements import ActRequirement
from .sanction import ActSanction
from .signing import SigningAuthority, SigningCertificate
from .status_log import CaseStatusChange
from .term import ExtensionDecision
from .workflow import ActRendering, ActTransition, AppendOnlyError

__all__ = [
    "ActEffect",
    "ActRequirement",
    "ActSanction",
    "ActRendering",
    "ActTransition",
    "AppendOnlyError",
    "Case",
    "CaseArticle",
    "offence_day",
    "CaseGroupObjectPermission",
    "CaseStatusChange",
    "CaseUserObjectPermission",
    "CriminalCodeArticle",
    "CriminalCodeArticleVersion",
    "DeadlineExtension",
    "ExtensionDecision",
    "Interruption",
    "Participant",
    "Person",
    "PersonLink",
    "ProceduralAct",
    "ProceduralActType",
    "ProceedingsTerm",
    "RegistrationSequence",
    "SignedActImmutableError",
    "SigningAuthority",
    "SigningCertificate",
]
