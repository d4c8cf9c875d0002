"""Errors shared by the services of every app; the base views turn them into responses."""
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError


class OutOfScope(ObjectDoesNotExist):
    """Absent, or outside the actor's scope: both answer 404, so existence is not revealed."""


class NotAllowed(PermissionDenied):
    """In the actor's scope, but this action is not theirs: 403."""


class StaleEdit(ValidationError):
    """Someone else changed the object since the form was loaded; nothing was overwritten."""
