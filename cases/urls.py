from django.urls import path

from .views import acts, cases, export, history, options, participants, review, sanction, statistics, term

app_name = "cases"

urlpatterns = [
    path("", cases.CaseListView.as_view(), name="list"),
    path("new/", cases.CaseRegisterView.as_view(), name="register"),
    path("access-log/", cases.AccessLogView.as_view(), name="access-log-all"),
    path("statistics/", statistics.StatisticsView.as_view(), name="statistics"),
    path("options/prosecutors/", options.ProsecutorOptionsView.as_view(), name="prosecutor-options"),
    path("options/investigators/", options.InvestigatorOptionsView.as_view(), name="investigator-options"),
    path("options/articles/", options.ArticleOptionsView.as_view(), name="article-options"),
    path("<int:pk>/", cases.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", cases.CaseEditView.as_view(), name="edit"),
    path("<int:pk>/requalify/", cases.CaseRequalifyView.as_view(), name="requalify"),
    path("<int:pk>/assign/", cases.CaseAssignView.as_view(), name="assign"),
    path("<int:pk>/transition/", cases.CaseTransitionView.as_view(), name="transition"),
    path("<int:pk>/extend/", cases.CaseExtendView.as_view(), name="extend"),
    path("<int:pk>/term/request/", term.ExtensionRequestView.as_view(), name="extension-request"),
    path("<int:pk>/access-log/", cases.CaseAccessLogView.as_view(), name="access-log"),
    path("<int:pk>/history/", history.CaseHistoryView.as_view(), name="history"),
    path("<int:pk>/export/", export.CaseExportView.as_view(), name="export"),
    path("<int:pk>/participants/new/", participants.ParticipantAddView.as_view(), name="participant-add"),
    path(
        "participants/<int:pk>/withdraw/", participants.ParticipantWithdrawView.as_view(), name="participant-withdraw"
    ),
    path("<int:pk>/acts/new/", acts.ActCreateView.as_view(), name="act-create"),
    path("acts/<int:pk>/", acts.ActDetailView.as_view(), name="act"),
    path("acts/<int:pk>/edit/", acts.ActEditView.as_view(), name="act-edit"),
    path("acts/<int:pk>/transition/", acts.ActTransitionView.as_view(), name="act-transition"),
    path("acts/<int:pk>/review/", review.ActReviewView.as_view(), name="act-review"),
    path("acts/<int:pk>/sanction/", sanction.ActSanctionView.as_view(), name="act-sanction"),
    path("acts/<int:pk>/sanction/scan/", sanction.ActSanctionScanView.as_view(), name="act-sanction-scan"),
    path("acts/<int:pk>/pdf/", acts.ActPdfView.as_view(), name="act-pdf"),
]
