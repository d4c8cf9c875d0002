"""Models of the cases app, one module per part of the domain."""
from .reference import CriminalCodeArticle, CriminalCodeArticleVersion, ProceduralActType, ProceedingsTerm
from .case import (
    Case,
    offence_day,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    DeadlineExtension,
    Interruption,
    RegistrationSequence,
)
from .people import Participant, Person, PersonLink
from .acts import ProceduralAct, SignedActImmutableError
from .signing import SigningAuthority, SigningCertificate
from .workflow import ActRendering, ActTransition, AppendOnlyError
from .term import ExtensionDecision

__all__ = [
    "ActRendering",
    "ActTransition",
    "AppendOnlyError",
    "Case",
    "offence_day",
    "CaseGroupObjectPermission",
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
