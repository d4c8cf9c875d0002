"""Errors shared by the services of every app; the middleware turns them into responses."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError


class ScopeError(Exception):
    """Base of the refusals below: remembers which case a refused attempt aimed at, for that case's
    access log. An exception itself, so that ``super().__init__`` reaches Django's exception next in
    line (``ObjectDoesNotExist``, ``PermissionDenied``)."""

    def __init__(self, message: str = "", *, case_id: int | None = None):
        super().__init__(message)
        self.case_id = case_id


class OutOfScope(ScopeError, ObjectDoesNotExist):
    """Absent, or outside the actor's scope: both answer 404, so existence is not revealed."""


class NotAllowed(ScopeError, PermissionDenied):
    """In the actor's scope, but this action is not theirs: 403."""


class SecondFactorRequired(ScopeError, PermissionDenied):
    """In the actor's scope, but a grave case and the session's second factor is older than
    ECASE_GRAVE_CASE_OTP_MINUTES: the pages send the user to confirm it again, the API answers 403."""


class StaleEdit(ValidationError):
    """Someone else changed the object since the form was loaded; nothing was overwritten."""
