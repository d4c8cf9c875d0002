"""What the audit trail records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CASE_REGISTERED = "case.registered", _("Case registered")
    CASE_CHANGED = "case.changed", _("Case changed")
    CASE_TRANSITION = "case.transition", _("Case status changed")
    CASE_ASSIGNED = "case.assigned", _("Investigators assigned")
    CASE_OPENED = "case.opened", _("Case opened")
    DEADLINE_EXTENDED = "case.deadline_extended", _("Term extended")
    CLOCK_WARNING = "case.clock_warning", _("Term running out or overdue")
    PARTICIPANT_ADDED = "participant.added", _("Participant added")
    PARTICIPANT_CHANGED = "participant.changed", _("Participant changed")
    PARTICIPANT_WITHDRAWN = "participant.withdrawn", _("Participant withdrawn")
    PERSON_CHANGED = "person.changed", _("Person's data changed")
    ACT_CREATED = "act.created", _("Act drafted")
    ACT_CHANGED = "act.changed", _("Act changed")
    ACT_TRANSITION = "act.transition", _("Act status changed")
    ACT_WITHDRAWN = "act.withdrawn", _("Act withdrawn")
    EVIDENCE_ADDED = "evidence.added", _("Evidence added")
    EVIDENCE_CHANGED = "evidence.changed", _("Evidence changed")
    EVIDENCE_WITHDRAWN = "evidence.withdrawn", _("Evidence withdrawn")
    EVIDENCE_TRANSFERRED = "evidence.transferred", _("Evidence handed over")
    FILE_UPLOADED = "file.uploaded", _("File uploaded")
    FILE_DOWNLOADED = "file.downloaded", _("File downloaded")
    FILE_WITHDRAWN = "file.withdrawn", _("File withdrawn")
    ACCESS_DENIED = "access.denied", _("Access refused")
    PERMISSION_GRANTED = "permission.granted", _("Permission granted")
    PERMISSION_REVOKED = "permission.revoked", _("Permission revoked")
    LOGIN = "auth.login", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    LOCKOUT = "auth.lockout", _("Account locked after failed sign-ins")
    OTP_ENROLLED = "auth.otp_enrolled", _("Second factor enrolled")
    OTP_FAILED = "auth.otp_failed", _("Second factor refused")
    OTP_VERIFIED = "auth.otp_verified", _("Second factor confirmed")
    REAUTHENTICATED = "auth.reauthenticated", _("Re-authenticated")
    SESSION_ENDED = "auth.session_ended", _("Session ended")
    USER_DEACTIVATED = "auth.user_deactivated", _("User deactivated")
    ACT_OPENED = "act.opened", _("Act opened")
    ACT_RENDER_FAILED = "act.render_failed", _("Rendering or signing of an act failed")
    ACT_RENDER_REQUEUED = "act.render_requeued", _("Failed rendering of an act queued again")
    ACT_PDF_DOWNLOADED = "act.pdf_downloaded", _("Signed act downloaded")
    CERTIFICATE_ISSUED = "signing.certificate_issued", _("Signing certificate issued")
    EXPORT_MADE = "case.exported", _("Case file exported")
    AUDIT_VERIFIED = "audit.verified", _("Audit trail verified")
    AUDIT_ALERT = "audit.alert", _("Audit trail verification failed")
    HISTORY_CHECKPOINT = "audit.history_checkpoint", _("History tables sealed")
    TOKEN_ISSUED = "api.token_issued", _("API token issued")
    TOKEN_REVOKED = "api.token_revoked", _("API token revoked")
    EVIDENCE_OPENED = "evidence.opened", _("Evidence item opened")
    QUERY_TIMEOUT = "ops.query_timeout", _("A request exceeded its query time budget")
    USER_CREATED = "auth.user_created", _("User created")
    USER_CHANGED = "auth.user_changed", _("User's role, unit or details changed")
    PASSWORD_SET = "auth.password_set", _("Password set by an administrator")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed by its user")
    OTP_RESET = "auth.otp_reset", _("Second factor reset")
    USER_REACTIVATED = "auth.user_reactivated", _("User reactivated")
    CASE_REQUALIFIED = "case.requalified", _("Case requalified")
    PERSON_LINKED = "person.linked", _("Persons of two cases linked as one person")
    BLOB_ORPHANS_REMOVED = "storage.orphans_removed", _("Unreferenced stored files removed")
    BLOB_KEYS_ROTATED = "storage.keys_rotated", _("Storage encryption keys rotated")
    CASES_LISTED = "case.listed", _("Cases listed")
    PARTICIPANT_OPENED = "participant.opened", _("Participant opened")
    PERSONS_LISTED = "person.listed", _("Persons listed")
    PERSON_OPENED = "person.opened", _("Person opened")
    AUDIT_LOG_OPENED = "audit.log_opened", _("Access log read")
    STATISTICS_OPENED = "case.statistics", _("Case statistics read")
    STORAGE_UNAVAILABLE = "ops.storage_unavailable", _("File storage full or unavailable")
    BLOB_ORPHANS_FOUND = "storage.orphans_found", _("Unreferenced stored files found")
    UNIT_CREATED = "org.unit_created", _("Unit created")
    UNIT_CHANGED = "org.unit_changed", _("Unit changed")


class Outcome(models.TextChoices):
    OK = "ok", _("Done")
    DENIED = "denied", _("Refused")
    FAILED = "failed", _("Failed")


# Events that record a read or a refusal rather than a change: the access log proper.
ACCESS_EVENTS = frozenset(
    {
        EventType.CASE_OPENED,
        EventType.ACT_OPENED,
        EventType.EVIDENCE_OPENED,
        EventType.FILE_DOWNLOADED,
        EventType.ACT_PDF_DOWNLOADED,
        EventType.ACCESS_DENIED,
        # Every other read of case content (issue #13 item 7): a list is one row per request.
        EventType.CASES_LISTED,
        EventType.PARTICIPANT_OPENED,
        EventType.PERSONS_LISTED,
        EventType.PERSON_OPENED,
        EventType.AUDIT_LOG_OPENED,
        EventType.STATISTICS_OPENED,
    }
)
