from django.urls import path

from sikesal.integrations.ombudsman import views

app_name = "ombudsman"

urlpatterns = [
    path("", views.escalations, name="escalations"),
    path("kepatuhan/", views.compliance, name="compliance"),
    path("eskalasi/<int:pk>/status/", views.update_state, name="update_state"),
    path("eskalasi/<int:pk>/berkas.<str:fmt>", views.escalation_file, name="file"),
]
