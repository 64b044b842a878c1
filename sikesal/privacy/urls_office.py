from django.urls import path

from sikesal.privacy import views_office

app_name = "privacy_office"

urlpatterns = [
    path("", views_office.queue, name="queue"),
    path("permintaan/<int:pk>/", views_office.request_detail, name="request"),
    path("permintaan/<int:pk>/cabut-pembatasan/", views_office.lift_restriction, name="lift_restriction"),
    path("audit/", views_office.audit, name="audit"),
    path("pelanggaran/", views_office.breaches, name="breaches"),
    path("pelanggaran/<int:pk>/surat/", views_office.breach_letters, name="breach_letters"),
    path("pelanggaran/<int:pk>/terkirim/", views_office.breach_notified, name="breach_notified"),
    path("pemrosesan/", views_office.records, name="records"),
]
