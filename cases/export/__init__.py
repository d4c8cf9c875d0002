"""The case-file export for a prosecutor or a court (issue #6): build, sign, verify."""

from .builder import ExportError, ExportResult, export_case, exportable_case
from .signature import ExportKeyUnavailable
from .verify import ExportCheck, verify_export

__all__ = [
    "ExportCheck",
    "ExportError",
    "ExportKeyUnavailable",
    "ExportResult",
    "export_case",
    "exportable_case",
    "verify_export",
]
