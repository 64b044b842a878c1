from django.contrib.auth.views import LogoutView
from django.urls import path

from sikesal.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("", views.inbox_view, name="inbox"),
    path("ekspor.csv", views.export_csv, name="export"),
    path("laporan/<str:tracking>/", views.report_view, name="report"),
    path("laporan/<str:tracking>/aksi/", views.action, name="action"),
    path("laporan/<str:tracking>/identitas/", views.reveal, name="reveal"),
]
