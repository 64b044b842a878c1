from django.urls import path

from sikesal.integrations.ombudsman import views as ombudsman_views
from sikesal.integrations.webpush import views as push_views
from sikesal.portal import pwa, views, views_account

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("lapor/", views.file_report, name="file"),
    path("lapor/saran-layanan.json", views.service_hint, name="service_hint"),
    path("lapor/terkirim/<str:tracking>/", views.confirmation, name="confirmation"),
    path("lacak/", views.track, name="track"),
    path("lacak/<str:tracking>/", views.track_detail, name="track_detail"),
    path("pelapor/<str:secret>/", views.private, name="private"),
    path("pelapor/<str:secret>/aksi/", views.private_action, name="private_action"),
    path("pelapor/<str:secret>/ombudsman/", ombudsman_views.escalate_form, name="escalate"),
    path("laporan/", views.reports, name="reports"),
    path("laporan/peta.json", views.reports_map, name="reports_map"),
    path("laporan/<str:tracking>/", views.report_detail, name="report_detail"),
    path("lampiran/<str:token>/", views.attachment, name="attachment"),
    path("statistik/", views.statistics_page, name="stats"),
    path("statistik.csv", views.statistics_csv, name="stats_csv"),
    path("masuk/", views_account.login_start, name="login"),
    path("masuk/kode/", views_account.login_code, name="login_code"),
    path("keluar/", views_account.logout_view, name="logout"),
    path("saya/", views_account.my_reports, name="my_reports"),
    path("saya/<str:tracking>/", views.account_report, name="account_report"),
    path("saya/<str:tracking>/aksi/", views.account_action, name="account_action"),
    # The installable app (issue #20, docs/pwa.md)
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("perangkat/", pwa.device_reports, name="device_reports"),
    path("push/ikuti/", push_views.subscribe, name="push_subscribe"),
    path("push/berhenti/", push_views.unsubscribe, name="push_unsubscribe"),
]
