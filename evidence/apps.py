from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from cases import file_parts

        from .export import evidence_files

        # The evidence is a part of the case file that cases shows and exports without importing evidence.
        file_parts.contribute(
            file_parts.CaseTab(
                name="evidence",
                label=_("Evidence"),
                template="evidence/case_tab.html",
                rows=lambda case: {"evidence": case.evidence_items.order_by("number")},
            ),
            file_parts.ExportSection(name="evidence", write=evidence_files),
        )
