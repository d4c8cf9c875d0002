"""Models of the cases app, one module per part of the domain."""
from .reference import CriminalCodeArticle, ProceduralActType, ProceedingsTerm
from .case import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    DeadlineExtension,
    Interruption,
    RegistrationSequence,
)
from .people import Participant, Person
from .acts import ProceduralAct, SignedActImmutableError

__all__ = [
    "Case",
    "CaseGroupObjectPermission",
    "CaseUserObjectPermission",
    "CriminalCodeArticle",
    "DeadlineExtension",
    "Interruption",
    "Participant",
    "Person",
    "ProceduralAct",
    "ProceduralActType",
    "ProceedingsTerm",
    "RegistrationSequence",
    "SignedActImmutableError",
]
