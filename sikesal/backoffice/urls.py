from django.contrib.auth.views import LogoutView
from django.urls import path

from sikesal.backoffice import auth, blocklist, desk, views

app_name = "backoffice"

urlpatterns = [
    path("masuk/", auth.login_view, name="login"),
    path("masuk/kode/", auth.login_code, name="login_code"),
    path("keluar/", LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("", views.inbox_view, name="inbox"),
    path("ekspor.csv", views.export_csv, name="export"),
    path("ekspor.xlsx", views.export_xlsx, name="export_xlsx"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("disposisi-massal/", views.bulk_verify, name="bulk_verify"),
    path("laporan-bulanan/", views.monthly_pick, name="monthly_pick"),
    path("laporan-bulanan/<int:opd_id>/<int:year>-<int:month>.pdf", views.monthly_pdf, name="monthly_pdf"),
    path("sinkronisasi-lapor/", views.lapor_sync, name="lapor_sync"),
    path("daftar-blokir/", blocklist.blocklist, name="blocklist"),
    path("daftar-blokir/<int:pk>/cabut/", blocklist.lift, name="blocklist_lift"),
    path("loket/", desk.desk, name="desk"),
    path("loket/tanda-terima/<str:tracking>/", desk.receipt, name="desk_receipt"),
    path("loket/tanda-terima/<str:tracking>.pdf", desk.receipt_pdf, name="desk_receipt_pdf"),
    path("laporan/<str:tracking>/", views.report_view, name="report"),
    path("laporan/<str:tracking>/aksi/", views.action, name="action"),
    path("laporan/<str:tracking>/identitas/", views.reveal, name="reveal"),
]
