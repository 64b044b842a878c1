from django.urls import path

from sikesal.privacy import views_citizen

app_name = "privacy"

urlpatterns = [
    path("privasi/", views_citizen.notice, name="notice"),
    path("saya/privasi/", views_citizen.mine, name="mine"),
    path("saya/privasi/data.json", views_citizen.mine_json, name="mine_json"),
    path("saya/privasi/kontak/", views_citizen.correct, name="correct"),
    path("saya/privasi/permintaan/", views_citizen.ask, name="ask"),
]
