from django.urls import path

from . import uploads, views

app_name = "evidence"

urlpatterns = [
    path("cases/<int:pk>/new/", views.EvidenceAddView.as_view(), name="add"),
    path("<int:pk>/", views.EvidenceDetailView.as_view(), name="detail"),
    path("<int:pk>/withdraw/", views.EvidenceWithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/files/new/", views.EvidenceUploadView.as_view(), name="upload"),
    # Resumable uploads (tus 1.0.0, evidence/uploads.py): created on the item, continued on the upload.
    path("<int:pk>/uploads/", uploads.ResumableCreateView.as_view(), name="resumable-create"),
    path("uploads/<uuid:pk>/", uploads.ResumableUploadView.as_view(), name="resumable"),
    path("<int:pk>/transfer/", views.EvidenceTransferView.as_view(), name="transfer"),
    path("files/<int:pk>/", views.FileDownloadView.as_view(), name="download"),
    path("files/<int:pk>/withdraw/", views.FileWithdrawView.as_view(), name="file-withdraw"),
]
